import XCTest
final class PlaceholderDLRTKernelsTests: XCTestCase { func testNothing() {} }

import XCTest
final class PlaceholderDLRTRuntimeTests: XCTestCase { func testNothing() {} }

import XCTest
final class PlaceholderDLRTModelTests: XCTestCase { func testNothing() {} }

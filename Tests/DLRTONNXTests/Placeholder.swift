import XCTest
final class PlaceholderDLRTONNXTests: XCTestCase { func testNothing() {} }

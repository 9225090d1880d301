import Foundation
import Testing

@Suite struct CommandLineTests {
    @Test func placeholder() { #expect(Bool(true)) }
}

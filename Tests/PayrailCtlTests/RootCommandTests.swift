import Testing
@testable import PayrailCtl

@Suite("payrailctl parsing")
struct RootCommandTests {
    @Test func rootCommandHasAName() {
        #expect(RootCommand.configuration.commandName == "payrailctl")
    }
}

import Testing
import VigilCore

@Suite("Chat text sanitisation")
struct ChatTextTests {
    @Test(
        "controls are removed, line breaks normalised, tabs kept",
        arguments: [
            ("plain", "plain"),
            ("a\u{00}b", "ab"),
            ("line1\nline2\tx", "line1\nline2\tx"),
            ("a\r\nb\rc", "a\nb\nc"),
            ("bell\u{07}esc\u{1B}[31m", "bellesc[31m"),
            ("del\u{7F}c1\u{85}\u{9F}", "delc1"),
            ("evil\u{202E}txt.exe\u{2066}\u{2069}", "eviltxt.exe"),
            ("emoji 👩‍⚕️ and é", "emoji 👩‍⚕️ and é"),
        ])
    func sanitising(raw: String, clean: String) throws {
        #expect(try ChatText(sanitizing: raw).value == clean)
    }

    @Test("text with nothing visible left is rejected", arguments: ["", " ", "\n\t", "\u{00}\u{01}", "\u{202E}"])
    func empty(raw: String) {
        #expect(throws: ChatText.Rejection.empty) { try ChatText(sanitizing: raw) }
    }

    @Test("the limit counts Unicode scalars after sanitisation")
    func length() throws {
        #expect(try ChatText(sanitizing: String(repeating: "é", count: 4_000)).value.unicodeScalars.count == 4_000)
        #expect(throws: ChatText.Rejection.tooLong(limit: 4_000)) { try ChatText(sanitizing: String(repeating: "a", count: 4_001)) }
        // Removed characters do not count towards the limit.
        #expect(try ChatText(sanitizing: String(repeating: "a\u{00}", count: 4_000)).value.count == 4_000)
        #expect(throws: ChatText.Rejection.tooLong(limit: 3)) { try ChatText(sanitizing: "abcd", maxScalars: 3) }
    }

    @Test("sanitising is idempotent")
    func idempotent() throws {
        let once = try ChatText(sanitizing: "x\r\n\u{00}y\u{202A}")
        #expect(try ChatText(sanitizing: once.value) == once)
    }
}

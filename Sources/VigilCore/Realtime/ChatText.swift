/// Chat text that has been sanitised and length-checked. Only `init(sanitizing:maxScalars:)` makes one, so the
/// session store cannot be handed raw client text by mistake.
///
/// Sanitisation rule (decided here, applied to every chat message):
/// - keep `\n` (line breaks are meaningful in clinical notes) and `\t`;
/// - turn `\r\n` and lone `\r` into `\n`, so one line-break form reaches every client;
/// - remove every other C0 control (U+0000–U+001F, NUL always), DEL (U+007F) and C1 controls (U+0080–U+009F),
///   which render unpredictably and can hide content in terminals and logs;
/// - remove bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a message
///   display differently from what it says ("Trojan Source");
/// - then reject text that is empty or only whitespace, or longer than the limit in Unicode scalars
///   (scalars, not grapheme clusters, so the bound does not depend on the Unicode version or on combining marks).
public struct ChatText: Sendable, Hashable, CustomStringConvertible {
    /// The sanitised text.
    public let value: String

    /// Why text was rejected.
    public enum Rejection: Error, Sendable, Equatable {
        /// Nothing but whitespace remained after sanitisation.
        case empty
        /// More than the allowed number of Unicode scalars remained.
        case tooLong(limit: Int)
    }

    /// Sanitises `raw` by the rule above and checks its length.
    public init(sanitizing raw: String, maxScalars: Int = RealtimeLimits().maxChatTextScalars) throws(Rejection) {
        var cleaned = String.UnicodeScalarView()
        var count = 0  // UnicodeScalarView.count is O(n); keep a running count instead
        var previousWasCarriageReturn = false
        for scalar in raw.unicodeScalars {
            defer { previousWasCarriageReturn = scalar == "\r" }
            let kept: Unicode.Scalar?
            if scalar == "\r" {
                kept = "\n"
            } else if scalar == "\n" {
                // "\r\n" already produced its "\n" at the "\r".
                kept = previousWasCarriageReturn ? nil : scalar
            } else {
                kept = Self.isRemoved(scalar) ? nil : scalar
            }
            guard let kept else { continue }
            cleaned.append(kept)
            count += 1
            // Stop early: hostile input can be far longer than the limit, and the result is rejected anyway.
            if count > maxScalars { throw .tooLong(limit: maxScalars) }
        }
        guard cleaned.contains(where: { !$0.properties.isWhitespace }) else { throw .empty }
        value = String(cleaned)
    }

    /// Whether the sanitisation rule drops `scalar`; `\r` counts as removed because it never survives as itself.
    static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: false
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The sanitised text, so a `ChatText` prints as what participants see.
    public var description: String { value }
}

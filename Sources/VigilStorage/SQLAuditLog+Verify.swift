import SQLKit
import VigilCore

extension SQLAuditLog {
    /// Verifies every organisation's chain; returns per organisation the count and head hash, or the first break.
    ///
    /// Pages of `pageSize` events are read and hashed ahead, several at once (both cores: the database
    /// decodes rows while other pages are hashed); the links between events are then checked in
    /// sequence order, so the first broken link is the one a single sequential walk would report.
    ///
    /// On SQLite the rows are hashed straight from SQLite's memory; `readingSQLiteDirectly: false` reads
    /// them through the driver's generic row path instead (the PostgreSQL path: tests compare the two).
    public func verify(
        pageSize: Int = 10_000, pagesAhead: Int = 3, readingSQLiteDirectly: Bool = true
    ) async throws
        -> [AuditChainVerifier]
    {
        // Organisations first, heads second: a chain whose first event commits between the two reads is then
        // either not seen at all or seen with its head (an event and its head commit together), never as
        // events without a head — which is how a deleted head looks.
        let eventOrganizations = try await driver.read { db in
            try await db.raw("SELECT DISTINCT organization FROM audit_events").all().map {
                try $0.decode(column: "organization", as: String.self)
            }
        }
        let heads = try await driver.read { db in
            try await db.raw("SELECT organization, seq, hash, signature FROM audit_heads").all().map {
                (
                    try $0.decode(column: "organization", as: String.self), try $0.decode(column: "seq", as: Int64.self),
                    try $0.decode(column: "hash", as: String.self), try $0.decode(column: "signature", as: String?.self)
                )
            }
        }
        var results = [AuditChainVerifier]()
        for organization in Set(heads.map(\.0) + eventOrganizations).sorted() {
            var verifier = AuditChainVerifier(organization: organization)
            let head = heads.first { $0.0 == organization }
            // Events are read only up to the head read above: later appends by a running server are not
            // part of this snapshot (the head and its events commit together).
            try await walk(
                organization, upTo: head?.1, pageSize: max(1, pageSize), pagesAhead: max(1, pagesAhead), direct: readingSQLiteDirectly,
                into: &verifier)
            verifier.finish(recordedHead: head.map { ($0.1, $0.2) })
            if let signer = self.heads.signer, let head, head.1 > 0 {
                verifier.checkHeadSignature(signer.check(head.3, organization: organization, sequence: head.1, hash: head.2))
            }
            results.append(verifier)
        }
        return results
    }

    /// The stored hash of one event, or `nil` when there is no such event (for checking anchored heads).
    public func eventHash(organization: String, sequence: Int64) async throws -> String? {
        try await driver.read { db in
            try await db.raw("SELECT hash FROM audit_events WHERE organization = \(bind: organization) AND seq = \(bind: sequence)")
                .first()?.decode(column: "hash", as: String.self)
        }
    }

    /// Every organisation's head as stored, with its signature (what `vigil audit anchor` prints).
    public func storedHeads() async throws -> [(organization: String, sequence: Int64, hash: String, signature: String?)] {
        try await driver.read { db in
            try await db.raw("SELECT organization, seq, hash, signature FROM audit_heads ORDER BY organization").all().map {
                (
                    try $0.decode(column: "organization", as: String.self), try $0.decode(column: "seq", as: Int64.self),
                    try $0.decode(column: "hash", as: String.self), try $0.decode(column: "signature", as: String?.self)
                )
            }
        }
    }

    /// Verifies every chain and signs the head of each intact one with the store's key; returns what was
    /// done per organisation ("signed" or "not signed (broken: …)").
    public func signIntactHeads() async throws -> [(String, String)] {
        guard let signer = heads.signer else { return [] }
        var outcomes = [(String, String)]()
        for chain in try await verify() where chain.count > 0 {
            // Only a head that is unsigned or signed with a former key is (re)signed; never a forged or broken chain.
            if let failure = chain.firstBreak,
                !(failure.reason.hasPrefix("the chain head is not signed") || failure.reason.hasPrefix("the chain head is signed with another key"))
            {
                outcomes.append((chain.organization, "not signed (broken: \(failure.reason))"))
                continue
            }
            try await driver.write { db in
                try await db.raw(
                    """
                    UPDATE audit_heads SET signature = \(bind: signer.sign(organization: chain.organization, sequence: chain.count, hash: chain.headHash))
                    WHERE organization = \(bind: chain.organization) AND seq = \(bind: chain.count) AND hash = \(bind: chain.headHash)
                    """
                ).run()
            }
            outcomes.append((chain.organization, "signed"))
        }
        return outcomes
    }

    /// Whether heads are signed and checked (a key was given to the store).
    public var signsHeads: Bool { heads.signer != nil }

    /// What the links between stored events need, each event's content already checked against its hash.
    struct CheckedLink: Sendable {
        let sequence: Int64
        let organization: String
        let previousHash: String
        let hash: String
        let contentMatches: Bool
    }

    typealias CheckedPage = [CheckedLink]

    /// Reads the events with `lower < seq <= upper` in order and hashes each as it is read. On SQLite
    /// the rows are hashed straight from SQLite's column memory on a read-only connection of their own.
    func checkedPage(
        _ organization: String, after lower: Int64, through upper: Int64, limit: Int? = nil, direct: Bool = true
    ) async throws -> CheckedPage {
        let sql = """
            SELECT \(Self.columns.joined(separator: ", ")) FROM audit_events
            WHERE organization = ? AND seq > ? AND seq <= ? ORDER BY seq\(limit.map { " LIMIT \($0)" } ?? "")
            """
        let binds: [FastBind] = [.text(organization), .integer(lower), .integer(upper)]
        if direct, let sqlite = driver as? SQLiteDriver {
            return try await sqlite.withReadOnlyHandle { handle in
                var page = CheckedPage()
                var scratch = [UInt8]()
                try handle.forEachRow(sql, binds) { row in
                    page.append(try Self.checkedLink(row, organization: organization, scratch: &scratch))
                    return true
                }
                return page
            }
        }
        return try await driver.rows(sql, binds) { row in
            let stored = try Self.chained(from: row)
            return CheckedLink(
                sequence: stored.sequence, organization: stored.event.organization, previousHash: stored.previousHash, hash: stored.hash,
                contentMatches: AuditChain.contentMatches(stored))
        }
    }

    /// A SQLite row in ``columns`` order, checked as ``chained(from:)`` and ``AuditChain/contentMatches(_:)`` would.
    private static func checkedLink(_ row: SQLiteHandle.Row, organization: String, scratch: inout [UInt8]) throws -> CheckedLink {
        guard row.count == columns.count, let sequence = row.integer(1), row.integer(2) != nil, row.integer(9) != nil,
            let action = row.text(6), let outcome = row.text(10), let previousHash = row.text(14), let hash = row.text(15),
            row.text(0) != nil, row.text(7) != nil, row.text(11) != nil
        else { throw StorageError.corruptRow("unexpected audit row shape") }
        // An unknown action or outcome can only come from an edit: its content cannot match.
        let known =
            AuditEvent.Action(rawValue: String(decoding: action, as: UTF8.self)) != nil
            && AuditEvent.Outcome(rawValue: String(decoding: outcome, as: UTF8.self)) != nil
        return CheckedLink(
            sequence: sequence, organization: organization, previousHash: String(decoding: previousHash, as: UTF8.self),
            hash: String(decoding: hash, as: UTF8.self),
            contentMatches: known
                && AuditChain.contentMatches(AuditRowFields(row: row), previousHash: previousHash, hash: hash, scratch: &scratch))
    }

    /// Walks the events with `seq <= limit`. While the chain is dense (every page full), pages are fixed
    /// sequence ranges read concurrently; after a page with a gap — a break, or the end — the rest is
    /// read page by page after it, as one reader would (a huge tampered sequence number costs one page).
    private func walk(
        _ organization: String, upTo limit: Int64?, pageSize: Int, pagesAhead: Int, direct: Bool, into verifier: inout AuditChainVerifier
    ) async throws {
        let limit = limit ?? Int64.max
        let width = Int64(pageSize)
        var after: Int64 = -1
        // Ranges (-1, w], (w, 2w], …: a dense chain 1…limit fills each one completely.
        if limit < Int64.max - width {
            let rangeCount = limit > 0 ? (limit + width - 1) / width : 0
            func range(_ index: Int64) -> (lower: Int64, upper: Int64) {
                (index == 0 ? -1 : index * width, min((index + 1) * width, limit))
            }
            after = try await withThrowingTaskGroup(of: (Int64, CheckedPage).self) { group in
                var done = [Int64: CheckedPage]()
                var issued: Int64 = 0
                func issue() {
                    guard issued < rangeCount else { return }
                    let (index, bounds) = (issued, range(issued))
                    group.addTask {
                        (index, try await checkedPage(organization, after: bounds.lower, through: bounds.upper, direct: direct))
                    }
                    issued += 1
                }
                for _ in 0..<pagesAhead { issue() }
                var consumed: Int64 = 0
                while consumed < rangeCount {
                    while done[consumed] == nil {
                        guard let next = try await group.next() else { break }
                        done[next.0] = next.1
                    }
                    guard let page = done.removeValue(forKey: consumed) else { return consumed == 0 ? -1 : range(consumed - 1).upper }
                    for link in page { verifier.consume(link) }
                    let bounds = range(consumed)
                    consumed += 1
                    if verifier.firstBreak != nil || page.count != Int(bounds.upper - max(bounds.lower, 0)) {
                        group.cancelAll()
                        return bounds.upper
                    }
                    issue()
                }
                return rangeCount > 0 ? range(rangeCount - 1).upper : -1
            }
            if verifier.firstBreak != nil || after >= limit { return }
        }
        while verifier.firstBreak == nil {
            let page = try await checkedPage(organization, after: after, through: limit, limit: pageSize, direct: direct)
            for link in page { verifier.consume(link) }
            guard let last = page.last, page.count == pageSize else { break }
            after = last.sequence
        }
    }
}

extension AuditChainVerifier {
    fileprivate mutating func consume(_ link: SQLAuditLog.CheckedLink) {
        consume(
            sequence: link.sequence, organization: link.organization, previousHash: link.previousHash, hash: link.hash,
            contentMatches: link.contentMatches)
    }
}

/// A stored audit row (``SQLAuditLog/columns`` order) as the canonical encoding's field source.
/// Optional text columns holding anything but text read as null, as in ``SQLAuditLog/chained(from:)``.
private struct AuditRowFields: AuditFieldSource {
    let row: SQLiteHandle.Row

    func withText<R>(_ field: AuditField, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        let column =
            switch field {
            case .organization: 0
            case .actorID: 3
            case .actorUsername: 4
            case .actorRole: 5
            case .action: 6
            case .resourceType: 7
            case .subject: 8
            case .outcome: 10
            case .requestID: 11
            case .clientAddress: 12
            case .userAgent: 13
            case .sequence, .occurredAt, .recordCount: -1
            }
        guard column >= 0, let bytes = row.text(column) else { return body(nil) }
        // Hashed as the generic path reads it: text that is not UTF-8 repaired with U+FFFD.
        if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil {
            var repaired = String(decoding: bytes, as: UTF8.self)
            return repaired.withUTF8 { body($0) }
        }
        return body(bytes)
    }

    func integer(_ field: AuditField) -> Int64 {
        row.integer(field == .sequence ? 1 : field == .occurredAt ? 2 : 9) ?? 0
    }
}

import SQLKit
import VigilCore

extension SQLAuditLog {
    /// Verifies every organisation's chain; returns per organisation the count and head hash, or the first break.
    ///
    /// Pages of `pageSize` events are read and hashed ahead, several at once (both cores: the database
    /// decodes rows while other pages are hashed); the links between events are then checked in
    /// sequence order, so the first broken link is the one a single sequential walk would report.
    public func verify(pageSize: Int = 10_000, pagesAhead: Int = 3) async throws -> [AuditChainVerifier] {
        // Organisations first, heads second: a chain whose first event commits between the two reads is then
        // either not seen at all or seen with its head (an event and its head commit together), never as
        // events without a head — which is how a deleted head looks.
        let eventOrganizations = try await driver.read { db in
            try await db.raw("SELECT DISTINCT organization FROM audit_events").all().map {
                try $0.decode(column: "organization", as: String.self)
            }
        }
        let heads = try await driver.read { db in
            try await db.raw("SELECT organization, seq, hash FROM audit_heads").all().map {
                (
                    try $0.decode(column: "organization", as: String.self), try $0.decode(column: "seq", as: Int64.self),
                    try $0.decode(column: "hash", as: String.self)
                )
            }
        }
        var results = [AuditChainVerifier]()
        for organization in Set(heads.map(\.0) + eventOrganizations).sorted() {
            var verifier = AuditChainVerifier(organization: organization)
            let head = heads.first { $0.0 == organization }
            // Events are read only up to the head read above: later appends by a running server are not
            // part of this snapshot (the head and its events commit together).
            try await walk(organization, upTo: head?.1, pageSize: max(1, pageSize), pagesAhead: max(1, pagesAhead), into: &verifier)
            verifier.finish(recordedHead: head.map { ($0.1, $0.2) })
            results.append(verifier)
        }
        return results
    }

    /// Stored events read with each one's content already checked against its hash.
    typealias CheckedPage = [(event: ChainedAuditEvent, contentMatches: Bool)]

    /// Reads the events with `lower < seq <= upper` in order and hashes each as it is read.
    func checkedPage(_ organization: String, after lower: Int64, through upper: Int64, limit: Int? = nil) async throws -> CheckedPage {
        try await driver.rows(
            """
            SELECT \(Self.columns.joined(separator: ", ")) FROM audit_events
            WHERE organization = ? AND seq > ? AND seq <= ? ORDER BY seq\(limit.map { " LIMIT \($0)" } ?? "")
            """,
            [.text(organization), .integer(lower), .integer(upper)]
        ) { row in
            let event = try Self.chained(from: row)
            return (event, AuditChain.contentMatches(event))
        }
    }

    /// Walks the events with `seq <= limit`. While the chain is dense (every page full), pages are fixed
    /// sequence ranges read concurrently; after a page with a gap — a break, or the end — the rest is
    /// read page by page after it, as one reader would (a huge tampered sequence number costs one page).
    private func walk(
        _ organization: String, upTo limit: Int64?, pageSize: Int, pagesAhead: Int, into verifier: inout AuditChainVerifier
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
                    group.addTask { (index, try await checkedPage(organization, after: bounds.lower, through: bounds.upper)) }
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
                    for index in page.indices { verifier.consume(page[index].event, contentMatches: page[index].contentMatches) }
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
            let page = try await checkedPage(organization, after: after, through: limit, limit: pageSize)
            for index in page.indices { verifier.consume(page[index].event, contentMatches: page[index].contentMatches) }
            guard let last = page.last?.event, page.count == pageSize else { break }
            after = last.sequence
        }
    }
}

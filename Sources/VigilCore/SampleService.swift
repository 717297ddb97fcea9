/// Reads and writes of a subject's samples. Every access passes here, and here the ``AccessPolicy`` is
/// asked first — handlers cannot forget it.
public struct SampleService<Repository: SampleRepository>: Sendable {
    public let repository: Repository
    public let policy: AccessPolicy
    let decoder = SampleBatchDecoder()
    let validator = SampleBatchValidator()

    public init(repository: Repository, policy: AccessPolicy = AccessPolicy()) {
        self.repository = repository
        self.policy = policy
    }

    /// Validates and stores one batch, all or nothing.
    public func ingest(_ body: some Collection<UInt8>, subject: SubjectID, by identity: Identity) async throws -> IngestResult {
        try policy.authorize(identity, .writeSamples, subject: subject)
        let samples = try validator.validate(try decoder.parse(body))
        let batch = BatchDeduplication(samples)
        guard batch.conflicts.isEmpty else {
            let stored = try await repository.storedConflicts(batch.unique, subject: subject).map { batch.uniqueIndexes[$0] }
            throw Self.conflict(indexes: Set(batch.conflicts + stored).sorted())
        }
        switch try await repository.insert(batch.unique, subject: subject) {
        case .stored(let result):
            return IngestResult(accepted: result.accepted, duplicates: result.duplicates + batch.duplicates)
        case .conflicts(let indexes):
            throw Self.conflict(indexes: indexes.map { batch.uniqueIndexes[$0] }.sorted())
        }
    }

    public func page(_ query: SampleQuery, by identity: Identity) async throws -> SamplePage {
        try policy.authorize(identity, .readSamples, subject: query.subject)
        var rows = try await repository.samples(query)
        var next: String?
        if rows.count > query.limit {
            rows.removeLast(rows.count - query.limit)
            let last = rows[rows.count - 1]
            next = PageCursor.encode(.init(startMicroseconds: last.start.microseconds, uuid: last.uuid), for: query)
        }
        return SamplePage(samples: rows, nextCursor: next)
    }

    static func conflict(indexes: [Int]) -> VigilError {
        VigilError(
            .conflict,
            code: "conflict",
            message: indexes.count == 1
                ? "1 sample reuses a uuid with different content" : "\(indexes.count) samples reuse a uuid with different content",
            details: indexes.map {
                ErrorDetail(index: $0, field: "uuid", reason: "this uuid is stored or earlier in the batch with different content")
            }
        )
    }
}

/// Splits a batch into samples with distinct uuids, exact in-batch repeats and in-batch conflicts.
struct BatchDeduplication {
    var unique: [Sample] = []
    /// Batch index of each element of `unique`.
    var uniqueIndexes: [Int] = []
    var duplicates = 0
    /// Batch indexes that reuse an earlier uuid with other content.
    var conflicts: [Int] = []

    init(_ samples: [Sample]) {
        var firstByUUID = [String: Int](minimumCapacity: samples.count)
        unique.reserveCapacity(samples.count)
        for (index, sample) in samples.enumerated() {
            if let first = firstByUUID[sample.uuid] {
                if unique[first] == sample { duplicates += 1 } else { conflicts.append(index) }
            } else {
                firstByUUID[sample.uuid] = unique.count
                unique.append(sample)
                uniqueIndexes.append(index)
            }
        }
    }
}

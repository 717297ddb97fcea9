/// Reads and writes of a subject's samples. Every access passes here: ``AccessControl`` decides (and
/// audits refusals) first, and every outcome leaves an audit event — a write's in the same transaction
/// as its rows, a read's committed before its samples are returned.
public struct SampleService<Repository: SampleRepository>: Sendable {
    public let repository: Repository
    public let access: AccessControl
    let decoder = SampleBatchDecoder()
    let validator = SampleBatchValidator()
    static var resourceType: String { "Observation" }

    public init(repository: Repository, access: AccessControl) {
        self.repository = repository
        self.access = access
    }

    /// Validates and stores one batch, all or nothing.
    public func ingest(_ body: some Collection<UInt8>, subject: SubjectID, by request: AccessRequest) async throws -> IngestResult {
        try await access.authorize(request, .writeSamples, subject: subject, auditAs: .sampleWrite, resourceType: Self.resourceType)
        do {
            let samples = try validator.validate(try decoder.parse(body))
            let batch = BatchDeduplication(samples)
            guard batch.conflicts.isEmpty else {
                let stored = try await repository.storedConflicts(batch.unique, subject: subject).map { batch.uniqueIndexes[$0] }
                throw Self.conflict(indexes: Set(batch.conflicts + stored).sorted())
            }
            let event = request.event(
                .sampleWrite,
                resourceType: Self.resourceType,
                subject: subject.value,
                count: samples.count,
                outcome: .success,
                at: access.nowMicroseconds
            )
            switch try await repository.insert(batch.unique, subject: subject, audit: event) {
            case .stored(let result):
                return IngestResult(accepted: result.accepted, duplicates: result.duplicates + batch.duplicates)
            case .conflicts(let indexes):
                throw Self.conflict(indexes: indexes.map { batch.uniqueIndexes[$0] }.sorted())
            }
        } catch {
            // A refused or failed write still leaves a trace (nothing was stored).
            try await access.audit.record(
                request.event(
                    .sampleWrite, resourceType: Self.resourceType, subject: subject.value, outcome: .error, at: access.nowMicroseconds)
            )
            throw error
        }
    }

    public func page(_ query: SampleQuery, by request: AccessRequest) async throws -> SamplePage {
        try await access.authorize(request, .readSamples, subject: query.subject, auditAs: .sampleRead, resourceType: Self.resourceType)
        var rows = try await repository.samples(query)
        var next: String?
        if rows.count > query.limit {
            rows.removeLast(rows.count - query.limit)
            let last = rows[rows.count - 1]
            next = PageCursor.encode(.init(startMicroseconds: last.start.microseconds, uuid: last.uuid), for: query)
        }
        try await access.audit.record(
            request.event(
                .sampleRead,
                resourceType: Self.resourceType,
                subject: query.subject.value,
                count: rows.count,
                outcome: .success,
                at: access.nowMicroseconds
            )
        )
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

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
        return try await store(body, subject: subject) { count, outcome in
            request.event(
                .sampleWrite, resourceType: Self.resourceType, subject: subject.value, count: count, outcome: outcome,
                at: access.nowMicroseconds)
        }
    }

    /// The operator's path (`vigil import`: direct database access, no login): no access policy — the
    /// subject only has to be an active patient — and the same validation, storage and audit trail.
    public func ingest(_ body: some Collection<UInt8>, subject: SubjectID, asOperator origin: OperatorOrigin) async throws -> IngestResult {
        guard let organization = try await access.facts.patientOrganization(subject) else { throw VigilError.subjectNotFound }
        return try await store(body, subject: subject) { count, outcome in
            AuditEvent(
                organization: organization, actor: .init(username: origin.operatorName), action: .sampleWrite,
                resourceType: Self.resourceType, subject: subject.value, recordCount: count, outcome: outcome,
                occurredAt: access.nowMicroseconds, origin: origin.origin
            )
        }
    }

    private func store(
        _ body: some Collection<UInt8>, subject: SubjectID, event: (Int, AuditEvent.Outcome) -> AuditEvent
    ) async throws -> IngestResult {
        do {
            let samples = try validator.validate(try decoder.parse(body))
            let batch = BatchDeduplication(samples)
            guard batch.conflicts.isEmpty else {
                let stored = try await repository.storedConflicts(batch.unique, subject: subject).map { batch.uniqueIndexes[$0] }
                throw Self.conflict(indexes: Set(batch.conflicts + stored).sorted())
            }
            switch try await repository.insert(batch.unique, subject: subject, audit: event(samples.count, .success)) {
            case .stored(let result):
                return IngestResult(accepted: result.accepted, duplicates: result.duplicates + batch.duplicates)
            case .conflicts(let indexes):
                throw Self.conflict(indexes: indexes.map { batch.uniqueIndexes[$0] }.sorted())
            }
        } catch {
            // A refused or failed write still leaves a trace (nothing was stored).
            try await access.audit.record(event(0, .error))
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

/// Who acts when the command line writes: a name for the audit trail and the run's origin.
public struct OperatorOrigin: Sendable {
    public var operatorName: String
    public var origin: AuditEvent.Origin

    public init(operatorName: String, origin: AuditEvent.Origin) {
        self.operatorName = operatorName
        self.origin = origin
    }
}

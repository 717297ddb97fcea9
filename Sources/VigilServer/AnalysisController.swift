import Hummingbird
import VigilCore
import VigilStorage

/// `POST /v1/subjects/{subject}/analyses` and `GET /v1/analyses/{id}`. Access lives in ``AnalysisService``.
struct AnalysisController {
    let service: AnalysisService

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("subjects/:subject/analyses") { request, context -> Response in
            let subject = try SubjectID.subject(try context.parameters.require("subject"))
            let body = try await BodyReader.json(request)
            let job = try await service.submit(body, subject: subject, by: context.accessRequest(request))
            var headers = HTTPFields()
            headers[.location] = "/v1/analyses/\(job.id)"
            return JSONBody.response(status: .accepted, json: Self.json(job), headers: headers)
        }
        group.get("analyses/:id") { request, context -> Response in
            let job = try await service.status(id: try context.parameters.require("id"), by: context.accessRequest(request))
            return JSONBody.response(json: Self.json(job))
        }
    }

    static func json(_ job: AnalysisJob) -> JSONValue {
        func time(_ micros: Int64) -> JSONValue { .string(Timestamp(microseconds: micros, offsetSeconds: 0).rfc3339) }
        return .object([
            "id": .string(job.id),
            "kind": .string(job.kind.rawValue),
            "subject": .string(job.subject.value),
            "status": .string(job.status.rawValue),
            "from": job.from.map { .string($0.rfc3339) } ?? .null,
            "to": job.to.map { .string($0.rfc3339) } ?? .null,
            "options": job.options,
            // A failed job's last error; a queued job waiting for a retry shows the error that caused it.
            "result": job.status == .succeeded ? (job.result ?? .null) : .null,
            "error": job.failure.map { .object(["code": .string($0.code), "message": .string($0.message)]) } ?? .null,
            "attempts": .integer(Int64(job.attempts)),
            "requested_by": .string(job.requestedBy),
            "created_at": time(job.createdAt),
            "updated_at": time(job.updatedAt),
        ])
    }
}

/// `GET /v1/admin/analyses` (admins): the node's worker counters and the model's breaker state.
struct AnalysisStatsController {
    let worker: AnalysisWorker<SQLSampleRepository>
    let modelName: String?

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("admin/analyses") { _, context -> Response in
            guard context.identity.role == .admin else {
                throw VigilError(.forbidden, code: "forbidden", message: "only admins see analysis statistics")
            }
            let counters = await worker.counters
            let breaker: String
            switch await worker.breaker.state {
            case .closed: breaker = "closed"
            case .open: breaker = "open"
            case .halfOpen: breaker = "half_open"
            }
            return JSONBody.response(
                json: .object([
                    "succeeded": .integer(Int64(counters.succeeded)),
                    "failed": .integer(Int64(counters.failed)),
                    "retried": .integer(Int64(counters.retried)),
                    "timed_out": .integer(Int64(counters.timedOut)),
                    "refused_by_breaker": .integer(Int64(counters.refusedByBreaker)),
                    "breaker": .string(breaker),
                    "model": modelName.map(JSONValue.string) ?? .null,
                ]))
        }
    }
}

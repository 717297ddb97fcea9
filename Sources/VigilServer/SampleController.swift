import Hummingbird
import VigilCore

/// `POST` and `GET /v1/subjects/{subject}/samples`. Access decisions live in ``SampleService``.
struct SampleController<Repository: SampleRepository> {
    let service: SampleService<Repository>

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("subjects/:subject/samples", use: ingest)
        group.get("subjects/:subject/samples", use: query)
    }

    @Sendable func ingest(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let subject = try SubjectID.subject(try context.parameters.require("subject"))
        let body = try await BodyReader.jsonBytes(request)
        let result = try await service.ingest(body.readableBytesView, subject: subject, by: context.accessRequest(request))
        return JSONBody.response(result)
    }

    @Sendable func query(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let subject = try SubjectID.subject(try context.parameters.require("subject"))
        let query = try SampleQuery.parse(subject: subject, parameters: request.firstQueryValues)
        let page = try await service.page(query, by: context.accessRequest(request))
        return JSONBody.response(bytes: SampleJSONWriter.page(page))
    }
}

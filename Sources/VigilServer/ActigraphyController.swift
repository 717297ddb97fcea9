import Hummingbird
import VigilAnalytics
import VigilCore

/// `GET /v1/subjects/{subject}/actigraphy` (metrics and sleep scoring) and `…/actigraphy/actogram.svg`.
/// Access and auditing live in ``ActigraphyService``.
struct ActigraphyController<Repository: SampleRepository> {
    let service: ActigraphyService<Repository>

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("subjects/:subject/actigraphy", use: report)
        group.get("subjects/:subject/actigraphy/actogram.svg", use: actogram)
    }

    @Sendable func report(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let subject = try SubjectID.subject(try context.parameters.require("subject"))
        let parameters = try ActigraphyParameters.parse(subject: subject, parameters: request.firstQueryValues)
        let (window, report) = try await service.report(
            parameters.window, settings: parameters.settings, by: context.accessRequest(request))
        return JSONBody.response(
            json: ActigraphyJSON.report(report, window: window, query: parameters.window, includeScoring: parameters.includeScoring))
    }

    @Sendable func actogram(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let subject = try SubjectID.subject(try context.parameters.require("subject"))
        let parameters = try ActigraphyParameters.parse(subject: subject, parameters: request.firstQueryValues)
        let svg = try await service.analyse(parameters.window, by: context.accessRequest(request)) { window in
            let sleep = ActigraphyAnalysis.sleepScoring(window.recording, parameters.shading, settings: parameters.settings)
            return Actogram(window: window, sleep: sleep, algorithmName: parameters.shading.rawValue, title: "Actogram — \(subject.value)")
                .svg()
        }
        var headers = HTTPFields()
        headers[.contentType] = "image/svg+xml; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: svg)))
    }
}

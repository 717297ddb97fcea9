import Hummingbird
import VigilCore

/// Authenticates `Authorization: Bearer …` and stores the caller in the context. Every failure is the
/// same `401`, audited as `auth.token` (see ``RejectedTokenAudit``); routes behind it use
/// ``AuthenticatedContext``, which cannot exist without an identity.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = VigilRequestContext
    let auth: AuthService
    let rejections: RejectedTokenAudit

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var token: String?
        if let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " {
            token = String(header.dropFirst(7))
        }
        var context = context
        do {
            guard let token else { throw VigilError.invalidToken }
            context.identity = try await auth.authenticate(bearer: token)
        } catch let error as VigilError where error.kind == .unauthorized {
            await rejections.record(token: token, subject: Self.subject(in: request.uri.path), origin: context.origin(request))
            throw error
        }
        return try await next(request, context)
    }

    /// The subject a `/v1/subjects/{subject}/…` path names, if it is a valid subject id.
    static func subject(in path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3, parts[0] == "v1", parts[1] == "subjects" else { return nil }
        return SubjectID(String(parts[2]))?.value
    }
}

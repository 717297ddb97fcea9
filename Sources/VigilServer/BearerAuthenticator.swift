import Hummingbird
import VigilCore

/// Authenticates `Authorization: Bearer …` and stores the caller in the context. Every failure is the
/// same `401`; routes behind it use ``AuthenticatedContext``, which cannot exist without an identity.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = VigilRequestContext
    let auth: AuthService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            throw VigilError.invalidToken
        }
        var context = context
        context.identity = try await auth.authenticate(bearer: String(header.dropFirst(7)))
        return try await next(request, context)
    }
}

import Hummingbird
import VigilCore

/// `POST /v1/auth/token`, `/v1/auth/refresh`, `/v1/auth/logout`: the routes that need no bearer token.
struct AuthController {
    let auth: AuthService

    struct Credentials: Decodable {
        let username: String
        let password: String
    }

    struct RefreshRequest: Decodable {
        let refreshToken: String

        enum CodingKeys: String, CodingKey {
            case refreshToken = "refresh_token"
        }
    }

    func addRoutes(to group: RouterGroup<VigilRequestContext>) {
        group.post("token", use: token)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
    }

    @Sendable func token(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let credentials = try await BodyReader.decode(Credentials.self, from: request)
        return JSONBody.response(
            try await auth.login(username: credentials.username, password: credentials.password, origin: context.origin(request)))
    }

    @Sendable func refresh(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await BodyReader.decode(RefreshRequest.self, from: request)
        return JSONBody.response(try await auth.refresh(body.refreshToken, origin: context.origin(request)))
    }

    @Sendable func logout(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await BodyReader.decode(RefreshRequest.self, from: request)
        try await auth.logout(body.refreshToken, origin: context.origin(request))
        return Response(status: .noContent)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VigilCore
import VigilStorage

/// Builds the whole HTTP application from explicit dependencies. The store is one of the app's
/// services (started first, stopped last); pending migrations run before the server accepts requests.
public func buildApplication(
    config: VigilConfig,
    store: VigilStore,
    signingKey: [UInt8],
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() }
) async throws -> some ApplicationProtocol {
    let auth = await AuthService(signingKey: signingKey, users: store.auth, logins: store.auth, settings: config.auth, now: now)
    let router = buildRouter(auth: auth, samples: SampleService(repository: store.samples), store: store)
    var app = Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(75))),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Vigil"),
        services: [store],
        logger: logger
    )
    app.beforeServerStarts {
        let applied = try await store.migrate()
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["versions": .string(applied.map(String.init).joined(separator: ","))])
        }
    }
    return app
}

func buildRouter<Repository: SampleRepository>(
    auth: AuthService, samples: SampleService<Repository>, store: VigilStore
) -> Router<VigilRequestContext> {
    let router = Router(context: VigilRequestContext.self)
    router.add(middleware: RequestMiddleware())
    HealthController(store: store).addRoutes(to: router)
    AuthController(auth: auth).addRoutes(to: router.group("v1/auth"))
    let authenticated = router.group("v1")
        .add(middleware: BearerAuthenticator(auth: auth))
        .group(context: AuthenticatedContext.self)
    SampleController(service: samples).addRoutes(to: authenticated)
    MethodNotAllowed.register(APIRoutes.all, on: router)
    return router
}

/// Every route and its methods: the source of `405`s and of the route list tests check against.
public enum APIRoutes {
    public static let all: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/health", [.get]),
        ("/v1/auth/token", [.post]),
        ("/v1/auth/refresh", [.post]),
        ("/v1/auth/logout", [.post]),
        ("/v1/subjects/:subject/samples", [.get, .post]),
    ]
}

/// Answers a known path with an unsupported method with `405` and `Allow`, instead of the router's `404`.
enum MethodNotAllowed {
    static let candidates: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    static func register(_ routes: [(path: String, methods: [HTTPRequest.Method])], on router: Router<VigilRequestContext>) {
        for route in routes {
            let allow = route.methods.map(\.rawValue).joined(separator: ", ")
            for method in candidates where !route.methods.contains(method) {
                router.on(RouterPath(route.path), method: method) { _, context -> Response in
                    var response = APIErrorResponse.response(
                        for: VigilError(.badRequest, code: "method_not_allowed", message: "use \(allow) on this path"),
                        requestID: context.requestID
                    )
                    response.status = .methodNotAllowed
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}

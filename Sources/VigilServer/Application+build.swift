import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
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
    now: @escaping @Sendable () -> Date = { Date() },
    analysis: AnalysisRuntime = AnalysisRuntime()
) async throws -> some ApplicationProtocol {
    let auditWriter = AuditWriter(repository: store.audit, logger: logger)
    let services = await makeServices(
        config: config, store: store, signingKey: signingKey, auditWriter: auditWriter, now: now, analysis: analysis, logger: logger)
    // Services stop in reverse order: the server drains first, then the audit writer flushes, then the store closes.
    var app = Application(
        router: buildRouter(services, store: store),
        server: HTTPServerBuilder { [stream = services.stream] responder in
            StreamHTTPChannel(
                responder: responder, endpoint: stream, idleTimeout: .nanoseconds(config.http.keepAliveTimeout.nanoseconds),
                edgeLimits: config.http)
        },
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "Vigil"),
        services: [
            store, auditWriter, RefusalSummaryService(rejections: services.rejections, interval: config.auditSummaryInterval),
            services.analysisWorker,
            StreamHubService(
                hub: services.stream.hub, store: store, ready: services.startup.wait,
                recheckInterval: config.stream.accessRecheckInterval, heartbeatInterval: config.stream.heartbeatInterval),
            SessionJanitorService(hub: services.stream.hub, clock: analysis.clock, interval: config.stream.sessionCleanupInterval),
            StreamTokenExpiryService(hub: services.stream.hub, clock: analysis.clock, interval: config.stream.tokenExpiryCheckInterval),
            OutboxJanitorService(
                log: store.sampleEvents, clock: analysis.clock, now: { [access = services.stream.access] in access.nowMicroseconds },
                limits: config.stream, logger: logger, ready: services.startup.wait),
        ],
        logger: logger
    )
    app.beforeServerStarts {
        // A database that does not answer at start is a clear failure, not a server that never listens.
        let applied = try await withThrowingTaskGroup(of: [Int]?.self) { group in
            group.addTask { try await store.migrate() }
            group.addTask {
                try await Task.sleep(for: config.startupTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let applied = try await group.next() ?? nil else {
                throw VigilConfig.Invalid(description: "the database \(store.description) did not answer within \(config.startupTimeout)")
            }
            return applied
        }
        // Before the first request: a subscription must never see the hub start after it.
        try await services.stream.hub.start()
        services.startup.open()
        services.analysisWorker.wakeUp()
        if !applied.isEmpty {
            logger.info("applied migrations", metadata: ["versions": .string(applied.map(String.init).joined(separator: ","))])
        }
    }
    return app
}

func makeServices(
    config: VigilConfig,
    store: VigilStore,
    signingKey: [UInt8],
    auditWriter: AuditWriter,
    now: @escaping @Sendable () -> Date,
    analysis: AnalysisRuntime,
    logger: Logger
) async -> Services {
    let auth = await AuthService(
        signingKey: signingKey,
        users: store.auth,
        logins: store.auth,
        audit: auditWriter,
        settings: config.auth,
        now: now
    )
    let access = AccessControl(facts: store.access, audit: auditWriter, clock: now)
    let settings = config.analysis
    let breaker = CircuitBreaker(
        threshold: settings.breakerThreshold, cooldownMicros: Int64(settings.breakerCooldownSeconds) * 1_000_000,
        now: { [clock = analysis.clock] in clock.nowMicros })
    let worker = AnalysisWorker(
        jobs: store.analyses, executor: AnalysisExecutor(samples: store.samples, model: analysis.model, cohort: analysis.cohort),
        breaker: breaker, clock: analysis.clock, retry: RetryPolicy(maxAttempts: settings.maxAttempts),
        timeoutMicros: Int64(settings.timeoutSeconds) * 1_000_000, concurrency: settings.concurrency,
        owner: "vigil-" + UUID().uuidString.prefix(8).lowercased(), logger: logger, random: analysis.random)
    let startup = StartupGate()
    let workerService = AnalysisWorkerService(
        worker: worker, jobs: store.analyses, clock: analysis.clock, startup: startup,
        retentionMicros: Int64(settings.retentionDays) * 86_400_000_000, logger: logger)
    let rejections = RejectedTokenAudit(
        auth: auth, sink: auditWriter, perAddressPerMinute: config.auditRejectedPerMinute, logger: logger,
        now: { access.nowMicroseconds })
    let hub = StreamHub(
        log: store.sampleEvents, limits: config.stream, clock: analysis.clock, node: "node-" + UUID().uuidString.prefix(8).lowercased(),
        check: { identity, subject in
            do {
                guard let current = try await store.auth.identity(loginID: identity.loginID, userID: identity.userID) else {
                    return .signedOut
                }
                guard let subject else { return .allowed }
                guard let id = SubjectID(subject) else { return .denied }
                return try await access.permits(current, .readSamples, subject: id) ? .allowed : .denied
            } catch {
                return .unknown
            }
        }, logger: logger)
    let stream = StreamEndpoint(
        hub: hub, auth: auth, access: access, events: store.sampleEvents, limits: config.stream, rejections: rejections,
        audio: store.sessionAudio, logger: logger)
    return Services(
        auth: auth,
        rejections: rejections,
        samples: SampleService(repository: store.samples, access: access),
        actigraphy: ActigraphyService(repository: store.samples, access: access),
        grants: GrantService(grants: store.access, users: store.auth, teams: store.access, access: access),
        directory: DirectoryService(users: store.auth, teams: store.access, audit: auditWriter, hashPassword: auth.hashPassword, clock: now),
        auditTrail: AuditTrailService(repository: store.audit, audit: auditWriter, nowMicroseconds: { access.nowMicroseconds }),
        analyses: AnalysisService(
            jobs: store.analyses, access: access, modelConfigured: analysis.model != nil, cohortConfigured: analysis.cohort != nil,
            breaker: breaker, limits: settings.queueLimits, submitted: { workerService.wakeUp() }),
        analysisWorker: workerService,
        stream: stream,
        modelName: analysis.model?.variantName,
        startup: startup
    )
}

/// The routes the application registers (without the `405` answers), for checks that every route is
/// covered by the authorization matrix.
public func registeredRoutes(
    config: VigilConfig, store: VigilStore, signingKey: [UInt8], logger: Logger
) async -> [(method: String, path: String)] {
    let services = await makeServices(
        config: config, store: store, signingKey: signingKey, auditWriter: AuditWriter(repository: store.audit, logger: logger),
        now: { Date() }, analysis: AnalysisRuntime(), logger: logger)
    return buildRouter(services, store: store, answerMethodNotAllowed: false).routes.map { ($0.method.rawValue, $0.path.description) }
}

/// The application's domain services, built once from the store.
struct Services {
    let auth: AuthService
    let rejections: RejectedTokenAudit
    let samples: SampleService<SQLSampleRepository>
    let actigraphy: ActigraphyService<SQLSampleRepository>
    let grants: GrantService
    let directory: DirectoryService
    let auditTrail: AuditTrailService
    let analyses: AnalysisService
    let analysisWorker: AnalysisWorkerService
    let stream: StreamEndpoint
    let modelName: String?
    /// Opened when the database is migrated; background services wait for it.
    let startup: StartupGate
}

func buildRouter(_ services: Services, store: VigilStore, answerMethodNotAllowed: Bool = true) -> Router<VigilRequestContext> {
    let router = Router(context: VigilRequestContext.self)
    router.add(middleware: RequestMiddleware())
    HealthController(store: store).addRoutes(to: router)
    AuthController(auth: services.auth).addRoutes(to: router.group("v1/auth"))
    let authenticated = router.group("v1")
        .add(middleware: BearerAuthenticator(auth: services.auth, rejections: services.rejections))
        .group(context: AuthenticatedContext.self)
    SampleController(service: services.samples).addRoutes(to: authenticated)
    ActigraphyController(service: services.actigraphy).addRoutes(to: authenticated)
    AnalysisController(service: services.analyses).addRoutes(to: authenticated)
    AnalysisStatsController(worker: services.analysisWorker.worker, modelName: services.modelName).addRoutes(to: authenticated)
    GrantController(service: services.grants).addRoutes(to: authenticated)
    UserController(service: services.directory).addRoutes(to: authenticated)
    CareTeamController(service: services.directory).addRoutes(to: authenticated)
    AuditController(service: services.auditTrail).addRoutes(to: authenticated)
    StreamController(endpoint: services.stream).addRoutes(to: authenticated)
    if answerMethodNotAllowed { MethodNotAllowed.register(APIRoutes.all, on: router) }
    return router
}

/// Every route and its methods: the source of `405`s and of the route list tests check against.
public enum APIRoutes {
    public static let all: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/health", [.get]),
        ("/openapi.json", [.get]),
        ("/v1/auth/token", [.post]),
        ("/v1/auth/refresh", [.post]),
        ("/v1/auth/logout", [.post]),
        ("/v1/subjects/:subject/samples", [.get, .post]),
        ("/v1/subjects/:subject/actigraphy", [.get]),
        ("/v1/subjects/:subject/actigraphy/actogram.svg", [.get]),
        ("/v1/subjects/:subject/analyses", [.post]),
        ("/v1/analyses/:id", [.get]),
        ("/v1/stream", [.get]),
        ("/v1/admin/realtime", [.get]),
        ("/v1/admin/analyses", [.get]),
        ("/v1/subjects/:subject/grants", [.get, .post]),
        ("/v1/subjects/:subject/grants/:id", [.delete]),
        ("/v1/me", [.get]),
        ("/v1/users", [.get, .post]),
        ("/v1/users/:username", [.get, .delete]),
        ("/v1/care-teams", [.get, .post]),
        ("/v1/care-teams/:id/members", [.put]),
        ("/v1/care-teams/:id", [.delete]),
        ("/v1/audit-events", [.get]),
    ]
}

/// Answers a known path with an unsupported method with `405` and `Allow`, instead of the router's `404`.
enum MethodNotAllowed {
    static let candidates: [HTTPRequest.Method] = [
        .get, .post, .put, .patch, .delete, .head, .options, .trace, HTTPRequest.Method("QUERY")!,
    ]

    static func register(_ routes: [(path: String, methods: [HTTPRequest.Method])], on router: Router<VigilRequestContext>) {
        for route in routes {
            let allow = route.methods.map(\.rawValue).joined(separator: ", ")
            for method in candidates where !route.methods.contains(method) {
                router.on(RouterPath(route.path), method: method) { _, context -> Response in
                    var response = APIErrorResponse.response(
                        for: VigilError(.methodNotAllowed, code: "method_not_allowed", message: "use \(allow) on this path"),
                        requestID: context.requestID
                    )
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }
}

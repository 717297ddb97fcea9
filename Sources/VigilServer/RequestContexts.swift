import Hummingbird
import Logging
import VigilCore

/// The context of every request: its id (echoed or generated) and, once authenticated, the caller.
public struct VigilRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var requestID: String = ""
    /// Set by ``BearerAuthenticator``; read through ``AuthenticatedContext``.
    public var identity: Identity?
    /// The peer's IP address (no port), for audit events.
    public let clientAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are read explicitly with their own limits (``BodyReader``); this only bounds Hummingbird's decoders.
    public var maxUploadSize: Int { BodyReader.maxBodyBytes }

    func origin(_ request: Request) -> AuditEvent.Origin {
        AuditEvent.Origin(
            requestID: requestID, clientAddress: clientAddress,
            userAgent: request.headers[.userAgent].map { AuditEvent.clientText($0, limit: 256) })
    }
}

/// The context of routes behind authentication: `identity` is not optional, so a handler cannot
/// forget to check it. Building it without an identity is a `401`.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let identity: Identity
    public let clientAddress: String?

    public init(context: VigilRequestContext) throws {
        guard let identity = context.identity else { throw VigilError.invalidToken }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.identity = identity
        self.clientAddress = context.clientAddress
    }

    /// The caller and origin every audit event of this request records.
    public func accessRequest(_ request: Request) -> AccessRequest {
        AccessRequest(identity: identity, origin: origin(request))
    }

    func origin(_ request: Request) -> AuditEvent.Origin {
        AuditEvent.Origin(
            requestID: requestID, clientAddress: clientAddress,
            userAgent: request.headers[.userAgent].map { AuditEvent.clientText($0, limit: 256) })
    }

    public var maxUploadSize: Int { BodyReader.maxBodyBytes }
}

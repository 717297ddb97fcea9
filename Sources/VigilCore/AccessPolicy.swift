/// What a caller wants to do with a subject's health data.
public enum SubjectAction: Sendable, Equatable {
    case readSamples
    case writeSamples
}

/// The one place that decides whether a caller may touch a subject's health data.
///
/// Every sample read and write goes through ``SampleService``, which asks this policy first. Today
/// a patient reaches only its own subject; clinician and admin grants will extend ``decide``.
public struct AccessPolicy: Sendable {
    public init() {}

    public enum Decision: Sendable, Equatable {
        case allow
        /// The caller may know the subject exists but may not do this (e.g. a read-only grant writing).
        case forbid(String)
        /// The caller must not learn whether the subject exists.
        case hide
    }

    public func decide(_ identity: Identity, _ action: SubjectAction, subject: SubjectID) -> Decision {
        switch identity.role {
        case .patient:
            return identity.username == subject ? .allow : .hide
        case .clinician, .admin, .auditor:
            return .hide
        }
    }

    /// Throws the error that matches a negative decision.
    public func authorize(_ identity: Identity, _ action: SubjectAction, subject: SubjectID) throws(VigilError) {
        switch decide(identity, action, subject: subject) {
        case .allow: return
        case .forbid(let reason): throw VigilError(.forbidden, code: "forbidden", message: reason)
        case .hide: throw VigilError.subjectNotFound
        }
    }
}

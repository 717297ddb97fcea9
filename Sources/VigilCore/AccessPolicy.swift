/// What a caller wants to do with a subject.
public enum SubjectAction: String, Sendable, Equatable, CaseIterable {
    case readSamples
    case writeSamples
    /// Create, list or revoke the subject's grants.
    case manageGrants
}

/// The rules of who may touch a subject, as a pure function of the caller and the facts:
///
/// - a patient reaches its own subject (read, write, grants);
/// - a clinician or admin reaches a subject of its own organisation through an active grant to it or
///   to one of its care teams (`read`, or `read_write` to write); admins also manage grants of their
///   organisation's subjects, but see health data only through a grant;
/// - auditors never see health data;
/// - whoever may not know the subject exists gets ``Decision/hide`` (the `404` of a nonexistent
///   subject); a grantee that may read but not do this gets ``Decision/forbid(_:)``.
public struct AccessPolicy: Sendable {
    public init() {}

    public enum Decision: Sendable, Equatable {
        case allow
        /// The caller may know the subject exists but may not do this.
        case forbid(String)
        /// The caller must not learn whether the subject exists.
        case hide
    }

    public func decide(_ identity: Identity, _ action: SubjectAction, subject: SubjectID, facts: SubjectFacts, now: Int64) -> Decision {
        guard let organization = facts.organization, organization == identity.organization else { return .hide }
        if identity.role == .patient {
            return identity.username == subject ? .allow : .hide
        }
        guard identity.role == .clinician || identity.role == .admin else { return .hide }
        let active = facts.callerGrants.filter { $0.subject == subject.value && $0.organization == organization && $0.isActive(at: now) }
        let scope: GrantScope? = active.contains { $0.scope == .readWrite } ? .readWrite : (active.isEmpty ? nil : .read)
        switch action {
        case .manageGrants:
            if identity.role == .admin { return .allow }
            return scope == nil ? .hide : .forbid("only the patient and its organisation's admins manage grants")
        case .readSamples:
            return scope == nil ? .hide : .allow
        case .writeSamples:
            switch scope {
            case nil: return .hide
            case .read?: return .forbid("this grant allows reading only")
            case .readWrite?: return .allow
            }
        }
    }
}

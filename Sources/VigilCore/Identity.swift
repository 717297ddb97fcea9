/// What a user may be. Stored as its raw value.
public enum Role: String, Sendable, CaseIterable, Codable {
    case patient
    case clinician
    case admin
    case auditor
}

/// The authenticated caller of a request: who it is, as the database says *now* (role and
/// organisation are read with the login on every request, so a changed role applies at once).
public struct Identity: Sendable, Equatable {
    public var userID: String
    public var username: Username
    public var role: Role
    public var organization: String
    /// The login (refresh-token family) the access token belongs to.
    public var loginID: String

    public init(userID: String, username: Username, role: Role, organization: String, loginID: String) {
        self.userID = userID
        self.username = username
        self.role = role
        self.organization = organization
        self.loginID = loginID
    }
}

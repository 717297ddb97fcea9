import VigilCore

/// JSON shapes of the access-management endpoints (snake_case, RFC 3339 UTC times).
enum ResponseShapes {
    static func time(seconds: Int64?) -> JSONValue {
        seconds.map { .string(Timestamp(microseconds: $0 * 1_000_000, offsetSeconds: 0).rfc3339) } ?? .null
    }

    static func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    static func grant(_ grant: Grant, now: Int64) -> JSONValue {
        .object([
            "id": .string(grant.id),
            "subject": .string(grant.subject),
            "grantee": .string(grant.grantee),
            "scope": .string(grant.scope.rawValue),
            "expires_at": time(seconds: grant.expiresAt),
            "created_at": time(seconds: grant.createdAt),
            "created_by": .string(grant.createdBy),
            "revoked_at": time(seconds: grant.revokedAt),
            "revoked_by": text(grant.revokedBy),
            "active": .bool(grant.isActive(at: now)),
        ])
    }

    static func user(_ user: UserSummary) -> JSONValue {
        .object([
            "id": .string(user.id),
            "username": .string(user.username),
            "role": .string(user.role.rawValue),
            "organization": .string(user.organization),
            "created_at": time(seconds: user.createdAt),
            "disabled": .bool(user.disabled),
        ])
    }

    static func careTeam(_ team: CareTeam) -> JSONValue {
        .object([
            "id": .string(team.id),
            "grantee": .string(Grant.teamPrefix + team.id),
            "name": .string(team.name),
            "organization": .string(team.organization),
            "members": .array(team.members.map(JSONValue.string)),
            "created_at": time(seconds: team.createdAt),
            "created_by": .string(team.createdBy),
        ])
    }

    static func auditEvent(_ stored: ChainedAuditEvent) -> JSONValue {
        let event = stored.event
        return .object([
            "sequence": .integer(stored.sequence),
            "organization": .string(event.organization),
            "occurred_at": .string(Timestamp(microseconds: event.occurredAt, offsetSeconds: 0).rfc3339),
            "actor": .object(["id": text(event.actor.userID), "username": text(event.actor.username), "role": text(event.actor.role)]),
            "action": .string(event.action.rawValue),
            "resource_type": .string(event.resourceType),
            "subject": text(event.subject),
            "record_count": .integer(Int64(event.recordCount)),
            "outcome": .string(event.outcome.rawValue),
            "request_id": .string(event.origin.requestID),
            "client_address": text(event.origin.clientAddress),
            "user_agent": text(event.origin.userAgent),
            "previous_hash": .string(stored.previousHash),
            "hash": .string(stored.hash),
        ])
    }
}

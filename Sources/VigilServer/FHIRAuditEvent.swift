import VigilCore

/// Maps audit events to FHIR R4 `AuditEvent` resources and a `searchset` Bundle.
enum FHIRAuditEvent {
    static func bundle(_ events: [ChainedAuditEvent], nextURL: String?) -> JSONValue {
        var bundle: [String: JSONValue] = [
            "resourceType": .string("Bundle"),
            "type": .string("searchset"),
            "entry": .array(
                events.map {
                    .object(["fullUrl": .string("urn:vigil:audit:\($0.event.organization):\($0.sequence)"), "resource": resource($0)])
                }),
        ]
        if let nextURL { bundle["link"] = .array([.object(["relation": .string("next"), "url": .string(nextURL)])]) }
        return .object(bundle)
    }

    static func resource(_ stored: ChainedAuditEvent) -> JSONValue {
        let event = stored.event
        let isLogin = [.login, .logout, .refresh].contains(event.action)
        let type: JSONValue =
            isLogin
            ? coding("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication")
            : coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation")
        var agent: [String: JSONValue] = [
            "requestor": .bool(true),
            "who": .object([
                "identifier": .object(["system": .string("urn:vigil:username"), "value": .string(event.actor.username ?? "anonymous")])
            ]),
        ]
        if let role = event.actor.role { agent["role"] = .array([.object(["text": .string(role)])]) }
        if let address = event.origin.clientAddress {
            agent["network"] = .object(["address": .string(address), "type": .string("2")])
        }
        var resource: [String: JSONValue] = [
            "resourceType": .string("AuditEvent"),
            "id": .string("\(event.organization.replacingOccurrences(of: "_", with: "-"))-\(stored.sequence)"),
            "type": type,
            "action": .string(actionCode(event.action)),
            "recorded": .string(Timestamp(microseconds: event.occurredAt, offsetSeconds: 0).rfc3339),
            "outcome": .string(outcomeCode(event.outcome)),
            "outcomeDesc": .string(event.outcome.rawValue),
            "agent": .array([.object(agent)]),
            "source": .object([
                "site": .string(event.organization),
                "observer": .object(["display": .string("Vigil")]),
                "type": .array([coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")]),
            ]),
        ]
        if !isLogin { resource["subtype"] = .array([coding("urn:vigil:audit-action", event.action.rawValue, nil)]) }
        var entity: [String: JSONValue] = [
            "type": coding("http://hl7.org/fhir/resource-types", event.resourceType, nil),
            "detail": .array([
                .object(["type": .string("record_count"), "valueString": .string(String(event.recordCount))]),
                .object(["type": .string("request_id"), "valueString": .string(event.origin.requestID)]),
            ]),
        ]
        if let subject = event.subject { entity["what"] = .object(["reference": .string("Patient/\(subject)")]) }
        resource["entity"] = .array([.object(entity)])
        return .object(resource)
    }

    static func coding(_ system: String, _ code: String, _ display: String?) -> JSONValue {
        var fields: [String: JSONValue] = ["system": .string(system), "code": .string(code)]
        if let display { fields["display"] = .string(display) }
        return .object(fields)
    }

    /// C create, R read, U update, D delete, E execute.
    static func actionCode(_ action: AuditEvent.Action) -> String {
        switch action {
        case .sampleWrite, .sessionMessage, .grantCreate, .userCreate, .careTeamCreate, .analysisCreate: "C"
        case .sampleRead, .analysisRead, .grantList, .userList, .userRead, .careTeamRead, .auditRead: "R"
        case .careTeamUpdate, .userDisable: "U"
        case .grantRevoke, .careTeamDelete: "D"
        case .login, .logout, .refresh, .sessionJoin, .tokenRejected: "E"
        }
    }

    /// 0 success, 4 minor failure (refused), 8 serious failure.
    static func outcomeCode(_ outcome: AuditEvent.Outcome) -> String {
        switch outcome {
        case .success: "0"
        case .denied: "4"
        case .error: "8"
        }
    }
}

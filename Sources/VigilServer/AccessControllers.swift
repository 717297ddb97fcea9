import Foundation
import Hummingbird
import VigilCore

extension JSONBody {
    static func response(status: HTTPResponse.Status = .ok, json value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var out = [UInt8]()
        value.appendCanonical(to: &out)
        return response(status: status, bytes: out, headers: headers)
    }
}

extension BodyReader {
    /// A small JSON body as a tree (access-management requests).
    static func json(_ request: Request, limit: Int = 64 * 1024) async throws -> JSONValue {
        try SampleBatchDecoder().parse(try await jsonBytes(request, limit: limit).readableBytesView)
    }
}

/// `…/subjects/{subject}/grants`: create, list, revoke.
struct GrantController {
    let service: GrantService

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.post("subjects/:subject/grants") { request, context -> Response in
            let subject = try SubjectID.subject(try context.parameters.require("subject"))
            let body = try await BodyReader.json(request)
            let grant = try await service.create(body, subject: subject, by: context.accessRequest(request))
            return JSONBody.response(status: .created, json: ResponseShapes.grant(grant, now: now()))
        }
        group.get("subjects/:subject/grants") { request, context -> Response in
            let subject = try SubjectID.subject(try context.parameters.require("subject"))
            let grants = try await service.list(subject: subject, by: context.accessRequest(request))
            let now = now()
            return JSONBody.response(json: .object(["grants": .array(grants.map { ResponseShapes.grant($0, now: now) })]))
        }
        group.delete("subjects/:subject/grants/:id") { request, context -> Response in
            let subject = try SubjectID.subject(try context.parameters.require("subject"))
            try await service.revoke(id: try context.parameters.require("id"), subject: subject, by: context.accessRequest(request))
            return Response(status: .noContent)
        }
    }

    func now() -> Int64 { Int64(service.access.clock().timeIntervalSince1970) }
}

/// `/v1/users` (admins of the organisation) and `/v1/me` (everyone).
struct UserController {
    let service: DirectoryService

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("me") { _, context -> Response in
            let identity = context.identity
            return JSONBody.response(
                json: .object([
                    "id": .string(identity.userID),
                    "username": .string(identity.username.value),
                    "role": .string(identity.role.rawValue),
                    "organization": .string(identity.organization),
                    "subject": identity.role == .patient ? .string(identity.username.value) : .null,
                ])
            )
        }
        group.get("users") { request, context -> Response in
            let users = try await service.listUsers(by: context.accessRequest(request))
            return JSONBody.response(json: .object(["users": .array(users.map(ResponseShapes.user))]))
        }
        group.post("users") { request, context -> Response in
            let user = try await service.createUser(try await BodyReader.json(request), by: context.accessRequest(request))
            return JSONBody.response(status: .created, json: ResponseShapes.user(user))
        }
        group.get("users/:username") { request, context -> Response in
            let user = try await service.user(try context.parameters.require("username"), by: context.accessRequest(request))
            return JSONBody.response(json: ResponseShapes.user(user))
        }
        group.delete("users/:username") { request, context -> Response in
            try await service.disableUser(try context.parameters.require("username"), by: context.accessRequest(request))
            return Response(status: .noContent)
        }
    }
}

/// `/v1/care-teams`: admins create, change and delete; clinicians list their own.
struct CareTeamController {
    let service: DirectoryService

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("care-teams") { request, context -> Response in
            let teams = try await service.careTeams(by: context.accessRequest(request))
            return JSONBody.response(json: .object(["care_teams": .array(teams.map(ResponseShapes.careTeam))]))
        }
        group.post("care-teams") { request, context -> Response in
            let team = try await service.createCareTeam(try await BodyReader.json(request), by: context.accessRequest(request))
            return JSONBody.response(status: .created, json: ResponseShapes.careTeam(team))
        }
        group.put("care-teams/:id/members") { request, context -> Response in
            let team = try await service.replaceMembers(
                team: try context.parameters.require("id"),
                try await BodyReader.json(request),
                by: context.accessRequest(request)
            )
            return JSONBody.response(json: ResponseShapes.careTeam(team))
        }
        group.delete("care-teams/:id") { request, context -> Response in
            try await service.deleteCareTeam(try context.parameters.require("id"), by: context.accessRequest(request))
            return Response(status: .noContent)
        }
    }
}

/// `GET /v1/audit-events` for auditors; `?format=fhir` answers a FHIR R4 Bundle of AuditEvent.
struct AuditController {
    let service: AuditTrailService

    func addRoutes(to group: RouterGroup<AuthenticatedContext>) {
        group.get("audit-events") { request, context -> Response in
            var parameters = request.firstQueryValues
            let format = parameters.removeValue(forKey: "format") ?? "json"
            guard format == "json" || format == "fhir" else {
                throw VigilError.invalidParameter("format must be json or fhir", field: "format")
            }
            let page = try await service.page(parameters, by: context.accessRequest(request))
            if format == "fhir" {
                var next: String?
                if let cursor = page.nextCursor {
                    var components = URLComponents()
                    components.path = "/v1/audit-events"
                    components.queryItems =
                        parameters.filter { $0.key != "cursor" }.sorted { $0.key < $1.key }.map {
                            URLQueryItem(name: $0.key, value: $0.value)
                        }
                        + [URLQueryItem(name: "format", value: "fhir"), URLQueryItem(name: "cursor", value: cursor)]
                    next = components.string
                }
                var response = JSONBody.response(json: FHIRAuditEvent.bundle(page.events, nextURL: next))
                response.headers[.contentType] = "application/fhir+json; charset=utf-8"
                return response
            }
            return JSONBody.response(
                json: .object([
                    "events": .array(page.events.map(ResponseShapes.auditEvent)),
                    "next_cursor": page.nextCursor.map(JSONValue.string) ?? .null,
                ])
            )
        }
    }
}

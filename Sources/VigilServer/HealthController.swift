import Hummingbird
import VigilStorage

/// `GET /health`: `200` when the database answers, `503` otherwise (for load balancers); `GET /openapi.json`.
struct HealthController {
    let store: VigilStore

    struct Status: Encodable {
        let status: String
        let database: String
    }

    func addRoutes(to router: Router<VigilRequestContext>) {
        // The published contract (docs/openapi.json), without a token: clients and tools read it first.
        router.get("openapi.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.cacheControl] = "no-cache"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("health") { _, _ -> Response in
            do {
                try await store.ping()
                return JSONBody.response(Status(status: "ok", database: "ok"))
            } catch {
                var response = JSONBody.response(status: .serviceUnavailable, Status(status: "unavailable", database: "unreachable"))
                response.headers[.retryAfter] = "5"
                return response
            }
        }
    }
}

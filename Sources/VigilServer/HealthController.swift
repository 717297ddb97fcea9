import Hummingbird
import VigilStorage

/// `GET /health`: `200` when the database answers, `503` otherwise (for load balancers).
struct HealthController {
    let store: VigilStore

    struct Status: Encodable {
        let status: String
        let database: String
    }

    func addRoutes(to router: Router<VigilRequestContext>) {
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

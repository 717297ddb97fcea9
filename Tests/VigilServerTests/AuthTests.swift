import Crypto
import Foundation
import HTTPTypes
import Synchronization
import Testing
import VigilCore
import VigilServer

@Suite("Authentication and access")
struct AuthTests {
    @Test("no token, expired, tampered and wrong-key tokens are 401", arguments: Backend.all)
    func badTokens(backend: Backend) async throws {
        let clock = TestClock()
        try await TestApp.run(backend, now: { clock.now }) { app in
            let user = try await app.addUser(.patient)
            let pair = try await app.login(user.name, user.password)
            let path = "/v1/subjects/\(user.name)/samples"
            #expect(try await app.get(path, token: pair.accessToken).status == .ok)

            let missing = try await app.get(path)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            #expect(try missing.apiError().code == "unauthorized")

            var parts = pair.accessToken.split(separator: ".").map(String.init)
            let payload = Data(base64URL: parts[1])!
            let forged = String(decoding: payload, as: UTF8.self).replacingOccurrences(
                of: "\"typ\":\"access\"", with: "\"typ\":\"access\" ")
            parts[1] = Data(forged.utf8).base64URLEncoded()
            let tampered = parts.joined(separator: ".")
            #expect(try await app.get(path, token: tampered).status == .unauthorized)

            let wrongKey = try signHS256(
                header: pair.accessToken.split(separator: ".")[0], payload: pair.accessToken.split(separator: ".")[1],
                key: Array("another-key-another-key-another-key-0000".utf8))
            #expect(try await app.get(path, token: wrongKey).status == .unauthorized)
            #expect(try await app.get(path, token: "not.a.jwt").status == .unauthorized)
            #expect(try await app.get(path, headers: [.authorization: "Basic dXNlcjpwYXNz"]).status == .unauthorized)

            clock.advance(by: 901)
            let expired = try await app.get(path, token: pair.accessToken)
            #expect(expired.status == .unauthorized)
        }
    }

    @Test("unknown user and wrong password get the same status, code and message", arguments: Backend.all)
    func loginFailuresLookAlike(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let user = try await app.addUser(.clinician)
            let wrongPassword = try await app.post("/v1/auth/token", json: #"{"username":"\#(user.name)","password":"nope"}"#)
            let unknownUser = try await app.post(
                "/v1/auth/token", json: #"{"username":"ghost-\#(UUID().uuidString.prefix(6))","password":"nope"}"#)
            let malformedUser = try await app.post("/v1/auth/token", json: #"{"username":"no such user!","password":"nope"}"#)
            for response in [wrongPassword, unknownUser, malformedUser] {
                #expect(response.status == .unauthorized)
                let error = try response.apiError()
                #expect(error.code == "invalid_credentials")
                #expect(error.message == "invalid username or password")
            }
            let missingField = try await app.post("/v1/auth/token", json: #"{"username":"x"}"#)
            #expect(missingField.status == .unprocessableContent)
        }
    }

    @Test("a patient reading another patient's subject gets the 404 of a nonexistent subject; other roles too", arguments: Backend.all)
    func otherSubjectsAreHidden(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (alice, aliceToken) = try await app.patient()
            let (bob, _) = try await app.patient()
            #expect(try await app.post("/v1/subjects/\(bob)/samples", json: SampleJSON.batch([]), token: aliceToken).status == .notFound)
            let other = try await app.get("/v1/subjects/\(bob)/samples", token: aliceToken)
            let nonexistent = try await app.get("/v1/subjects/nobody-\(UUID().uuidString.prefix(6))/samples", token: aliceToken)
            #expect(other.status == .notFound)
            #expect(nonexistent.status == .notFound)
            let (a, b) = (try other.apiError(), try nonexistent.apiError())
            #expect(a.code == b.code && a.message == b.message)
            #expect(
                String(buffer: other.body).replacingOccurrences(of: a.requestID, with: "")
                    == String(buffer: nonexistent.body).replacingOccurrences(of: b.requestID, with: ""))
            for role in [Role.clinician, .admin, .auditor] {
                let user = try await app.addUser(role)
                let token = try await app.login(user.name, user.password).accessToken
                #expect(try await app.get("/v1/subjects/\(alice)/samples", token: token).status == .notFound)
            }
        }
    }

    @Test("refresh rotates; reusing a spent refresh token ends the whole login, access tokens included", arguments: Backend.all)
    func refreshRotationAndReuse(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let user = try await app.addUser(.patient)
            let path = "/v1/subjects/\(user.name)/samples"
            let first = try await app.login(user.name, user.password)
            let refreshed = try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"\#(first.refreshToken)"}"#)
            #expect(refreshed.status == .ok)
            let second = try JSONDecoder().decode(TokenPair.self, from: Data(buffer: refreshed.body))
            #expect(second.refreshToken != first.refreshToken)
            #expect(second.tokenType == "Bearer" && second.expiresIn == 900)
            #expect(try await app.get(path, token: second.accessToken).status == .ok)

            // Reuse of the spent token: 401, and every token of that login stops working.
            let reuse = try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"\#(first.refreshToken)"}"#)
            #expect(reuse.status == .unauthorized)
            #expect(try await app.get(path, token: second.accessToken).status == .unauthorized)
            #expect(try await app.get(path, token: first.accessToken).status == .unauthorized)
            #expect(try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"\#(second.refreshToken)"}"#).status == .unauthorized)

            // Another login of the same user is unaffected.
            let other = try await app.login(user.name, user.password)
            #expect(try await app.get(path, token: other.accessToken).status == .ok)
            #expect(try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"garbage"}"#).status == .unauthorized)
        }
    }

    @Test("logout ends the login at once and answers 204 also for unknown or spent tokens", arguments: Backend.all)
    func logout(backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let user = try await app.addUser(.patient)
            let pair = try await app.login(user.name, user.password)
            let path = "/v1/subjects/\(user.name)/samples"
            #expect(try await app.post("/v1/auth/logout", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#).status == .noContent)
            #expect(try await app.get(path, token: pair.accessToken).status == .unauthorized)
            #expect(try await app.post("/v1/auth/refresh", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#).status == .unauthorized)
            #expect(try await app.post("/v1/auth/logout", json: #"{"refresh_token":"\#(pair.refreshToken)"}"#).status == .noContent)
            #expect(try await app.post("/v1/auth/logout", json: #"{"refresh_token":"unknown"}"#).status == .noContent)
        }
    }
}

/// A settable clock for token expiry.
final class TestClock: Sendable {
    private let seconds = Mutex(Date().timeIntervalSince1970)
    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    func advance(by delta: TimeInterval) { seconds.withLock { $0 += delta } }
}

func signHS256(header: Substring, payload: Substring, key: [UInt8]) throws -> String {
    let input = "\(header).\(payload)"
    let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key))
    return input + "." + Data(mac).base64URLEncoded()
}

extension Data {
    init?(base64URL: some StringProtocol) {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        self.init(base64Encoded: text)
    }

    func base64URLEncoded() -> String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
            of: "=", with: "")
    }
}

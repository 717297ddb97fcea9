import Foundation
import NIOCore
import SQLKit
import Testing
import VigilStorage

/// The SQLite writer connection (C API, cached statements, a thread of its own) behind SQLKit.
@Suite("SQLite writer connection")
struct SQLiteWriterTests {
    struct Row: Codable, Equatable {
        var id: Int
        var count: Int64?
        var ratio: Double?
        var name: String?
        var payload: Data?
        var flag: Bool?
    }

    @Test("every kind of value goes in and comes back as written, by SQLKit and by the fast read path")
    func roundTrip() async throws {
        try await ScratchDatabase.with(.sqlite) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "writer"))
            try await store.withRunning {
                let rows = [
                    Row(id: 1, count: Int64.max, ratio: -0.125, name: "", payload: Data(), flag: true),
                    Row(id: 2, count: Int64.min, ratio: 1e300, name: "é \"q\" \u{0}nul 😀", payload: Data([0, 1, 255]), flag: false),
                    Row(id: 3, count: nil, ratio: nil, name: nil, payload: nil, flag: nil),
                ]
                try await store.driver.write { db in
                    try await db.raw(
                        "CREATE TABLE kinds (id INTEGER PRIMARY KEY, count BIGINT, ratio DOUBLE, name TEXT, payload BLOB, flag BOOLEAN)"
                    )
                    .run()
                    // The same statement three times: the cached statement's binds must not leak between runs.
                    for row in rows { try await db.insert(into: "kinds").model(row).run() }
                }
                let read = try await store.driver.write { db in
                    try await db.select().columns("*").from("kinds").orderBy("id").all(decoding: Row.self)
                }
                #expect(read == rows)
                // Rows committed by the writer, seen by a reader connection.
                let fast = try await store.driver.rows("SELECT name, count FROM kinds ORDER BY id", [])
                #expect(fast.map { $0[0] } == [.text(""), .text("é \"q\" \u{0}nul 😀"), .null])
                #expect(fast.map { $0[1] } == [.integer(Int64.max), .integer(Int64.min), .null])
            }
        }
    }

    @Test("a transaction that throws leaves nothing; a failing statement is reported and the connection stays usable")
    func rollback() async throws {
        try await ScratchDatabase.with(.sqlite) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "writer"))
            try await store.withRunning {
                try await store.driver.write { db in try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY)").run() }
                struct Stop: Error {}
                await #expect(throws: Stop.self) {
                    try await store.driver.write { db in
                        try await db.raw("INSERT INTO t (id) VALUES (1)").run()
                        throw Stop()
                    }
                }
                await #expect(throws: (any Error).self) {
                    try await store.driver.write { db in
                        try await db.raw("INSERT INTO t (id) VALUES (2)").run()
                        try await db.raw("INSERT INTO t (id) VALUES (2)").run()  // primary key violation
                    }
                }
                try await store.driver.write { db in try await db.raw("INSERT INTO t (id) VALUES (3)").run() }
                let ids = try await store.driver.rows("SELECT id FROM t ORDER BY id", [])
                #expect(ids == [[.integer(3)]])
            }
        }
    }

    @Test("a statement sent through a write transaction that has ended is refused, not run in a later one")
    func escapedDatabase() async throws {
        try await ScratchDatabase.with(.sqlite) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "writer"))
            try await store.withRunning {
                let escaped = try await store.driver.write { db in
                    try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY)").run()
                    return db
                }
                await #expect(throws: StorageError.self) { try await escaped.raw("INSERT INTO t (id) VALUES (1)").run() }
                try await store.driver.write { db in try await db.raw("INSERT INTO t (id) VALUES (2)").run() }
                #expect(try await store.driver.rows("SELECT id FROM t", []) == [[.integer(2)]])
            }
        }
    }

    @Test("the transaction's code runs on the writer's own thread, not the cooperative pool")
    func writerThread() async throws {
        try await ScratchDatabase.with(.sqlite) { url in
            let store = try await VigilStore.open(url: url, logger: .init(label: "writer"))
            try await store.withRunning {
                let outside = currentThreadName()
                let inside = try await store.driver.write { _ in currentThreadName() }
                let again = try await store.driver.write { _ in currentThreadName() }
                #expect(inside.hasPrefix("TP-"), "writer thread: \(inside)")
                #expect(inside == again)
                #expect(inside != outside)
            }
        }
    }
}

/// The OS thread's name (NIO names its thread-pool threads `TP-#n`).
private func currentThreadName() -> String {
    #if os(Linux)
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    #else
    Thread.current.name ?? ""
    #endif
}

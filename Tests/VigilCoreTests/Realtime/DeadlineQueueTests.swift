import Testing
import VigilCore

@Suite("Deadline queue")
struct DeadlineQueueTests {
    @Test("expired keys come out earliest first, once; moved and removed deadlines are honoured")
    func expiry() {
        var queue = DeadlineQueue<Int>()
        queue.schedule(1, at: 30)
        queue.schedule(2, at: 10)
        queue.schedule(3, at: 20)
        queue.schedule(4, at: 40)
        queue.schedule(2, at: 50)  // extended
        queue.remove(4)
        #expect(queue.popExpired(now: 9).isEmpty)
        #expect(queue.popExpired(now: 30) == [3, 1])
        #expect(queue.popExpired(now: 45).isEmpty)
        #expect(queue.deadline(of: 2) == 50)
        #expect(queue.popExpired(now: 50) == [2])
        #expect(queue.count == 0)
    }

    @Test("stale entries do not accumulate: many moves of a few keys keep the queue small and correct")
    func manyMoves() {
        var queue = DeadlineQueue<Int>()
        for round in 0..<10_000 { queue.schedule(round % 3, at: Int64(100 + round)) }
        #expect(queue.count == 3)
        #expect(queue.popExpired(now: 10_096).isEmpty)
        #expect(queue.popExpired(now: 10_099) == [1, 2, 0])
    }
}

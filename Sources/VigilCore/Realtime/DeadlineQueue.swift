/// One deadline per key (a stream connection's access-token expiry), with the expired ones found without
/// visiting the others: a binary min-heap of (deadline, key) and a dictionary of each key's current deadline.
///
/// Moving or removing a deadline leaves its old heap entry behind; an entry is skipped when it no longer
/// matches the dictionary, and the heap is rebuilt when stale entries outnumber live ones, so memory stays
/// proportional to the keys held. Time is passed in (microseconds); nothing here reads a clock.
public struct DeadlineQueue<Key: Hashable & Sendable>: Sendable {
    private struct Entry: Sendable {
        let deadline: Int64
        let key: Key
    }

    private var heap: [Entry] = []
    private var deadlines: [Key: Int64] = [:]

    public init() {}

    /// Keys held.
    public var count: Int { deadlines.count }

    /// The deadline of `key`, if it has one.
    public func deadline(of key: Key) -> Int64? { deadlines[key] }

    /// Sets (or moves) the deadline of `key`.
    public mutating func schedule(_ key: Key, at deadline: Int64) {
        guard deadlines[key] != deadline else { return }
        deadlines[key] = deadline
        push(Entry(deadline: deadline, key: key))
        if heap.count > 2 * deadlines.count + 16 { rebuild() }
    }

    /// Forgets `key`.
    public mutating func remove(_ key: Key) {
        deadlines[key] = nil
        if heap.count > 2 * deadlines.count + 16 { rebuild() }
    }

    /// Removes and returns, earliest first, every key whose deadline is at or before `now`.
    public mutating func popExpired(now: Int64) -> [Key] {
        var expired: [Key] = []
        while let top = heap.first, top.deadline <= now {
            pop()
            guard deadlines[top.key] == top.deadline else { continue }  // moved or removed since
            deadlines[top.key] = nil
            expired.append(top.key)
        }
        return expired
    }

    private mutating func rebuild() {
        heap = []
        for (key, deadline) in deadlines { push(Entry(deadline: deadline, key: key)) }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

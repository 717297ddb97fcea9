/// A FIFO of at most `capacity` elements that drops its oldest element when a new one would exceed the
/// capacity, and on request (session history is also bounded in bytes), with amortised O(1) operations and
/// at most about twice the capacity in memory.
struct RealtimeRingBuffer<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    /// Index in `storage` of the oldest element: the ones before it were dropped and are compacted away lazily.
    private var start = 0

    init(capacity: Int) {
        precondition(capacity > 0, "ring buffer capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { storage.count - start }

    /// Appends `element`; returns the oldest element when it was dropped to stay within the capacity.
    @discardableResult
    mutating func append(_ element: Element) -> Element? {
        storage.append(element)
        return count > capacity ? removeFirst() : nil
    }

    /// Drops and returns the oldest element (nil when empty).
    @discardableResult
    mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let oldest = storage[start]
        start += 1
        // Once half the storage is dropped elements, move the kept ones down: each element moves at most once
        // per `count` removals.
        if start >= 16 && start * 2 >= storage.count {
            storage.removeFirst(start)
            start = 0
        }
        return oldest
    }

    /// The element `offset` places after the oldest one.
    subscript(offset: Int) -> Element {
        precondition(offset >= 0 && offset < count, "ring buffer offset out of range")
        return storage[start + offset]
    }

    /// Elements from `offset` (from the oldest) to the newest, in order.
    func suffix(from offset: Int) -> [Element] {
        guard offset < count else { return [] }
        return Array(storage[(start + max(offset, 0))...])
    }
}

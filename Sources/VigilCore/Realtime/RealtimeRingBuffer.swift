/// A fixed-capacity FIFO that overwrites its oldest element when full: session history keeps the last N
/// messages in constant memory, with O(1) append.
struct RealtimeRingBuffer<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    /// Index of the oldest element once `storage` is full.
    private var head = 0

    init(capacity: Int) {
        precondition(capacity > 0, "ring buffer capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { storage.count }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) % capacity
        }
    }

    /// The element `offset` places after the oldest one.
    subscript(offset: Int) -> Element {
        precondition(offset >= 0 && offset < storage.count, "ring buffer offset out of range")
        return storage[(head + offset) % storage.count]
    }

    /// Elements from `offset` (from the oldest) to the newest, in order.
    func suffix(from offset: Int) -> [Element] {
        guard offset < storage.count else { return [] }
        return (max(offset, 0)..<storage.count).map { self[$0] }
    }
}

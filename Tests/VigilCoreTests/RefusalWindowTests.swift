import Testing
import VigilCore

@Suite("Refusal window")
struct RefusalWindowTests {
    @Test("each address gets `limit` individual events per minute; the rest are summarised when the minute ends")
    func limitsPerAddress() {
        var window = RefusalWindow(limit: 2)
        let start: Int64 = 1_000_000
        #expect(window.count(address: "a", at: start) == (true, []))
        #expect(window.count(address: "a", at: start + 1).individual)
        #expect(!window.count(address: "a", at: start + 2).individual)
        #expect(!window.count(address: "a", at: start + 3).individual)
        #expect(window.count(address: "b", at: start + 4).individual)
        let next = window.count(address: "b", at: start + RefusalWindow.length)
        #expect(next.individual)
        #expect(next.ended == [.init(address: "a", suppressed: 2)])
        #expect(window.count(address: "a", at: start + RefusalWindow.length + 1).individual)
    }

    @Test("past maxAddresses new addresses share one entry, so a flood from many addresses stays bounded")
    func boundedAddresses() {
        var window = RefusalWindow(limit: 1, maxAddresses: 2)
        #expect(window.count(address: "a", at: 0).individual)
        #expect(window.count(address: "b", at: 0).individual)
        #expect(window.count(address: "c", at: 0).individual)
        #expect(!window.count(address: "d", at: 0).individual)
        #expect(window.trackedAddresses == 3)
        let ended = window.count(address: "e", at: RefusalWindow.length).ended
        #expect(ended == [.init(address: "*", suppressed: 1)])
    }

    @Test("past maxIndividual events in a window, every refusal is only counted, summarised under *")
    func globalCap() {
        var window = RefusalWindow(limit: 5, maxIndividual: 3)
        #expect(window.count(address: "a", at: 0).individual)
        #expect(window.count(address: "a", at: 0).individual)
        #expect(window.count(address: "b", at: 0).individual)
        #expect(!window.count(address: "c", at: 0).individual)
        #expect(!window.count(address: "a", at: 0).individual)
        #expect(window.count(address: "a", at: RefusalWindow.length).ended == [.init(address: "*", suppressed: 2)])
    }

    @Test("close gives nothing while the minute runs, its summaries once it is over or when forced, and resets the window")
    func close() {
        var window = RefusalWindow(limit: 1)
        let start: Int64 = 5_000_000
        #expect(window.count(address: "a", at: start).individual)
        #expect(!window.count(address: "a", at: start + 1).individual)
        #expect(window.close(at: start + 2).isEmpty)
        #expect(window.close(at: start + RefusalWindow.length) == [.init(address: "a", suppressed: 1)])
        #expect(window.close(at: start + RefusalWindow.length + 1, force: true).isEmpty)
        // A new window from the next refusal: "a" gets its individual event again.
        #expect(window.count(address: "a", at: start + RefusalWindow.length + 2) == (true, []))
        #expect(!window.count(address: "a", at: start + RefusalWindow.length + 3).individual)
        #expect(window.close(at: start + RefusalWindow.length + 4, force: true) == [.init(address: "a", suppressed: 1)])
    }
}

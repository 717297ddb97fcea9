import Testing
import VigilCore

@Suite("Realtime limits")
struct RealtimeLimitsTests {
    @Test("defaults match the spec")
    func defaults() {
        let limits = RealtimeLimits()
        let second = RealtimeLimits.microsecondsPerSecond
        #expect(limits.maxConnectionsPerNode == 1_000)
        #expect(limits.maxConnectionsPerUser == 10)
        #expect(limits.maxConnectionsPerAddress == 50)
        #expect(limits.maxUnauthenticatedConnections == 64)
        #expect(limits.maxUnauthenticatedConnectionsPerAddress == 8)
        #expect(limits.maxTextMessageBytes == 102_400)
        #expect(limits.maxAudioFrameBytes == 1_048_576)
        #expect(limits.messagesPerMinute == 60)
        #expect(limits.audioFramesPerMinute == 30)
        #expect(limits.heartbeatInterval == 30 * second)
        #expect(limits.sendBufferMessages == 256)
        #expect(limits.maxSessionsPerNode == 1_000)
        #expect(limits.messagesKeptPerSession == 1_000)
        #expect(limits.maxSessionsPerUser == 20)
        #expect(limits.maxSessionsPerSubject == 10)
        #expect(limits.maxHistoryBytesPerSession == 1_048_576)
        #expect(limits.sessionTTL == 86_400 * second)
        #expect(limits.sessionIdleTimeout == 1_800 * second)
        #expect(limits.sessionCleanupInterval == 300 * second)
        #expect(limits.authTimeout == 5 * second)
        #expect(limits.maxChatTextScalars == 4_000)
        #expect(limits.maxProtocolErrors == 10)
    }
}

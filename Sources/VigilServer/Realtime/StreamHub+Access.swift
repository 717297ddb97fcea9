import VigilCore

/// Access re-checks: a live subscription or session membership lasts only while its caller may still read
/// the subject. The outbox orders access changes with the samples, so a revocation committed before a
/// batch is applied before that batch is delivered, on every node.
extension StreamHub {
    enum RecheckScope: Sendable, Equatable {
        case subject(String)
        case user(String)
        /// Every connection of this node (the periodic sweep, for grants that expire).
        case everyone

        init(_ change: AccessChange) {
            switch change {
            case .subject(let subject): self = .subject(subject)
            case .user(let user): self = .user(user)
            }
        }
    }

    /// Re-checks the streams in `scope`, one check per (login, subject); a denied subscription ends with
    /// `unsubscribed` (`reason` `access_revoked`), a denied session membership with the session `closed`
    /// for that connection, and a connection whose login ended closes with 4001.
    func recheck(_ scope: RecheckScope) async {
        var targets: [Int: Set<String>] = [:]
        switch scope {
        case .subject(let subject):
            for id in registry.subscribers(of: subject) { targets[id, default: []].insert(subject) }
            for session in registry.sessions(ofSubject: subject) {
                for id in registry.members(of: session) { targets[id, default: []].insert(subject) }
            }
        case .user(let user):
            for id in registry.connections(of: user) { targets[id] = subjects(of: id) }
        case .everyone:
            for id in connections.keys { targets[id] = subjects(of: id) }
        }
        var verdicts: [String: StreamAccess] = [:]
        for (id, subjects) in targets.sorted(by: { $0.key < $1.key }) {
            for subject in subjects.sorted() {
                guard let connection = connections[id] else { break }
                let key = connection.identity.loginID + "\u{0}" + subject
                let verdict: StreamAccess
                if let known = verdicts[key] {
                    verdict = known
                } else {
                    verdict = await check(connection.identity, subject)
                    verdicts[key] = verdict
                    counters.accessRechecks += 1
                }
                switch verdict {
                case .allowed: continue
                // A failed check ends an access change's streams (fail closed: the client resubscribes with
                // `since` and loses nothing) but not the periodic sweep's (retried at the next one).
                case .unknown where scope == .everyone: continue
                case .denied, .unknown: await revoke(connection, subject: subject)
                case .signedOut:
                    // Nothing more in or out: unregistered at once, not when the peer answers the close.
                    connection.close(.unauthorized, "signed out")
                    await close(connection)
                }
                if verdict == .signedOut { break }
            }
        }
    }

    /// Ends a connection's subscription and sessions of `subject` when a check made right after they
    /// were registered fails.
    func revokeNow(_ connection: StreamConnection, subject: String) async {
        await revoke(connection, subject: subject)
    }

    /// The subjects a connection streams or holds sessions of.
    private func subjects(of id: Int) -> Set<String> {
        var subjects = Set(registry.subscriptions(of: id).keys)
        for session in registry.sessions(of: id) {
            if let separator = session.firstIndex(of: ":") { subjects.insert(String(session[..<separator])) }
        }
        return subjects
    }

    private func revoke(_ connection: StreamConnection, subject: String) async {
        if registry.subscriptions(of: connection.id)[subject] != nil {
            _ = unsubscribe(connection, subject: subject)
            connection.send(RealtimeServerMessage.unsubscribed(subject: subject, reason: "access_revoked", correlationID: nil).encoded())
            counters.subscriptionsRevoked += 1
        }
        for session in registry.sessions(of: connection.id).sorted() where session.hasPrefix(subject + ":") {
            connection.send(
                RealtimeServerMessage.session(session: session, event: .closed(reason: "access_revoked"), correlationID: nil).encoded())
            await leave(connection, session: session)
        }
    }
}

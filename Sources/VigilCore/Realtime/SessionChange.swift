/// A realtime-session event as the stream outbox carries it between nodes. Every node applies the same
/// changes in the same (cursor) order to its ``SessionStore``, so all nodes agree on who is present, the
/// messages and their sequence numbers.
public struct SessionChange: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// `user` joined from `node` (a user is present while any node has them joined).
        case joined
        /// `user`'s last connection on `node` left.
        case left
        /// `user` posted `text` (already sanitised).
        case message
    }

    public var session: String
    /// The node that accepted the change (its connections are the ones that joined or left).
    public var node: String
    public var user: String
    public var action: Action
    public var text: String?
    /// Microseconds since 1970: the time every node uses for the change (activity, message time).
    public var at: Int64

    public init(session: String, node: String, user: String, action: Action, text: String? = nil, at: Int64) {
        self.session = session
        self.node = node
        self.user = user
        self.action = action
        self.text = text
        self.at = at
    }

    /// The change as a JSON object.
    public var json: String {
        var fields: [String: JSONValue] = [
            "session": .string(session), "node": .string(node), "user": .string(user), "action": .string(action.rawValue),
            "at": .integer(at),
        ]
        if let text { fields["text"] = .string(text) }
        var out: [UInt8] = []
        JSONValue.object(fields).appendCanonical(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public init?(json: String) {
        guard case .object(let fields)? = try? JSONParser.parse(Array(json.utf8)),
            case .string(let session)? = fields["session"], case .string(let node)? = fields["node"],
            case .string(let user)? = fields["user"], case .string(let action)? = fields["action"],
            let kind = Action(rawValue: action), case .integer(let at)? = fields["at"]
        else { return nil }
        var text: String?
        if case .string(let value)? = fields["text"] { text = value }
        self.init(session: session, node: node, user: user, action: kind, text: text, at: at)
    }
}

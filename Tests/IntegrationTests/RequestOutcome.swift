/// What one request got, as a client sees it on the wire. Fault tests must tell an answer (any
/// status) from a refused connection, a connection dropped before a full response, and a hang.
enum RequestOutcome: Sendable {
    case answered(HTTPTestResponse)
    /// `connect` failed: nothing listened on the port.
    case refused
    /// Connected, but the connection closed or was reset before a whole response arrived.
    case dropped
    /// No whole response before the deadline: the request hung.
    case timedOut

    var response: HTTPTestResponse? {
        if case .answered(let r) = self { return r }
        return nil
    }

    var status: Int? { response?.status }
}

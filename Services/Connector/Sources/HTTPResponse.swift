/// One HTTP response as a provider answered it: the final status (interim 1xx ones are skipped),
/// the header fields with lowercased names (repeated fields joined by ", ", RFC 9110 §5.3), and the body.
struct HTTPResponse: Sendable, Equatable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}

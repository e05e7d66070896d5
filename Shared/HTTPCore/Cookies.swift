/// The cookies a request carries, parsed from its `Cookie` header fields.
///
/// RFC 6265 §4.2.1 defines `cookie-string = cookie-pair *( ";" SP cookie-pair )`; browsers and
/// libraries are looser, so, in the tolerant spirit of §5.2's algorithm, pairs are split on `;`,
/// whitespace around names and values is trimmed, a value in double quotes is unquoted, and a pair
/// without `=` or with an empty name is skipped. Bounded: at most `maxCount` pairs are kept (the
/// header section limit bounds the bytes).
public struct Cookies: Sendable, Hashable {
    public private(set) var pairs: [HTTPField]

    public static let maxCount = 64

    public init(headers: HTTPHeaders) {
        pairs = []
        for value in headers.values(for: "Cookie") {
            guard pairs.count < Self.maxCount else { break }
            Self.parse(value, into: &pairs)
        }
    }

    public init(parsing header: String) {
        pairs = []
        Self.parse(header, into: &pairs)
    }

    /// The first cookie named `name` (names are case-sensitive, RFC 6265 §5.4).
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    private static func parse(_ header: String, into pairs: inout [HTTPField]) {
        for piece in header.split(separator: ";", omittingEmptySubsequences: true) {
            guard pairs.count < maxCount else { return }
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = ASCII.trimmingWhitespace(piece[..<equals])
            var value = ASCII.trimmingWhitespace(piece[piece.index(after: equals)...])
            guard !name.isEmpty else { continue }
            if value.count >= 2, value.first == "\"", value.last == "\"" {
                value = value.dropFirst().dropLast()
            }
            pairs.append(HTTPField(name: String(name), value: String(value)))
        }
    }
}

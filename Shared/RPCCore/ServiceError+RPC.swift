import Contracts

extension ServiceError {
    /// A request named a method this service does not serve: a version skew between processes.
    public static func unknownMethod(_ name: String) -> ServiceError {
        ServiceError(code: "rpc.unknown_method", message: "The RPC method is not served by this service.", status: 500,
                     details: "method \(name)")
    }

    /// A human-readable line for a decoding failure, naming the field but never quoting its value
    /// (values may be codes or identifiers).
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "params could not be decoded" }
        func path(_ keys: [any CodingKey]) -> String {
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.replacing(".[", with: "[")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath.filter { $0.stringValue != "params" })
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context.codingPath.filter { $0.stringValue != "params" }))' has the wrong type"
        case .dataCorrupted(let context):
            let field = path(context.codingPath.filter { $0.stringValue != "params" })
            return field.isEmpty ? "params are not valid JSON" : "field '\(field)' is invalid"
        @unknown default:
            return "params could not be decoded"
        }
    }
}

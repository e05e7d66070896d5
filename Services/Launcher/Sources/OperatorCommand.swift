import ConfigCore
import Foundation

/// `passcode send` / `passcode verify`: the Management API from a shell, for operators.
enum OperatorCommand {
    static func run(_ command: String, environment: Environment) throws -> Int32 {
        let identifier: (field: String, value: String)
        if let email = environment["PASSCODE_EMAIL"] {
            identifier = ("email", email)
        } else if let phone = environment["PASSCODE_PHONE"] {
            identifier = ("phone", phone)
        } else {
            return fail("give --email ADDRESS or --phone DIGITS")
        }
        guard let key = environment["PASSCODE_API_KEY"]
            ?? environment["PASSCODE_API_KEYS"]?.split(separator: ",").first.map({ String($0.split(separator: "=")[0]) })
        else { return fail("give --api-key KEY (or set PASSCODE_API_KEYS)") }
        let base = environment["PASSCODE_URL"] ?? "http://" + environment.string("PASSCODE_LISTEN", default: "127.0.0.1:8080")
        guard let (host, port) = parse(base) else { return fail("PASSCODE_URL must look like http://host:port") }

        var body: [String: String] = [identifier.field: identifier.value]
        let path: String
        if command == "verify" {
            guard let code = environment["PASSCODE_CODE"] else { return fail("give --code DIGITS") }
            body["verificationCode"] = code
            path = "/api/verification-codes/verify"
        } else {
            path = "/api/verification-codes"
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
        guard let response = PlainHTTPClient.request(
            host: host, port: port, method: "POST", path: path, headers: [("Authorization", "Bearer \(key)")], body: json,
            timeoutMilliseconds: 15_000)
        else { return fail("no answer from \(base)") }
        if response.status == 204 {
            print(command == "verify" ? "verified" : "sent")
            return 0
        }
        print("\(response.status) \(response.body)")
        return 1
    }

    static func parse(_ url: String) -> (String, Int)? {
        guard url.hasPrefix("http://") else { return nil }
        var rest = url.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (PlainHTTPClient.loopback(for: host), port)
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("passcode: \(message)\n".utf8))
        return 64
    }
}

import SyncCore
#if canImport(Glibc)
import Glibc
#endif

/// Email through an SMTP relay with our own client. Each delivery runs its blocking conversation on a
/// dedicated thread and resumes the awaiting task when done.
struct SMTPProvider: DeliveryProvider {
    let name = "smtp"
    var client: SMTPClient
    var from: MailAddress

    init(endpoint: SMTPEndpoint, from: MailAddress, stepTimeout: Duration = .seconds(30)) {
        client = SMTPClient(endpoint: endpoint, heloName: Self.heloName(), stepTimeout: stepTimeout)
        self.from = from
    }

    func send(_ message: RenderedMessage, deadline: ContinuousClock.Instant) async throws -> String {
        guard MailAddress.isSafeAddress(message.to[...]) else { throw DeliveryFailure.permanent("smtp: the recipient address is not usable") }
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let messageId = MessageID.make(prefix: "") + "@" + domain
        let mime = MIMEMessage(from: from, to: message.to, subject: message.subject ?? "", text: message.text, html: message.html,
                               messageId: messageId, date: Timestamp.rfc5322(), boundary: "=_passcode_" + MessageID.make(prefix: ""))
        let client = self.client
        let envelopeFrom = from.address
        let to = message.to
        let rendered = mime.rendered()
        try await WorkerThread.run(name: "passcode-smtp") { () throws(DeliveryFailure) in
            try client.deliver(from: envelopeFrom, to: to, message: rendered, deadline: deadline)
        }
        return messageId
    }

    /// The name we give in EHLO (RFC 5321 §4.1.4): this host's name, or an address literal.
    static func heloName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "[127.0.0.1]" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let valid = !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        return valid ? name : "[127.0.0.1]"
    }
}

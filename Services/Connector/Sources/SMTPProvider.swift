import Foundation

/// Email through an SMTP relay with our own client. Each delivery runs its blocking conversation on a
/// dedicated thread and resumes the awaiting task when done.
struct SMTPProvider: DeliveryProvider {
    let name = "smtp"
    var client: SMTPClient
    var from: MailAddress

    init(endpoint: SMTPEndpoint, from: MailAddress, stepTimeout: Duration = .seconds(30)) {
        // Writes to a peer that closed must fail with EPIPE rather than kill the process; OpenSSL writes
        // with write(2), which cannot pass MSG_NOSIGNAL. Every server process ignores SIGPIPE anyway.
        signal(SIGPIPE, SIG_IGN)
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
        let failure: DeliveryFailure? = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(DeliveryFailure) {
                    try client.deliver(from: envelopeFrom, to: to, message: rendered, deadline: deadline)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
            thread.name = "passcode-smtp"
            thread.start()
        }
        if let failure { throw failure }
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

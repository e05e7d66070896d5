import Contracts

extension TemplateCatalog {
    /// Plain English defaults. They do not state a lifetime: the connector does not know the verifier's TTL.
    static let builtIn: TemplateCatalog = {
        let purposes: [(TemplateType, String, String)] = [
            (.signIn, "Your sign-in code", "Use this code to sign in"),
            (.register, "Your registration code", "Use this code to finish creating your account"),
            (.forgotPassword, "Your password reset code", "Use this code to reset your password"),
            (.generic, "Your verification code", "Use this code to verify it is you"),
        ]
        var email: [String: [String: MessageTemplate]] = [:]
        var sms: [String: [String: MessageTemplate]] = [:]
        for (type, subject, lead) in purposes {
            email[type.rawValue] = ["en": MessageTemplate(
                subject: subject,
                text: "\(lead): {{code}}\n\nIf you did not ask for it, you can ignore this message.\n",
                html: "<!doctype html><html><body><p>\(lead):</p><p style=\"font-size:24px;font-weight:bold;letter-spacing:4px\">{{code}}</p>"
                    + "<p>If you did not ask for it, you can ignore this message.</p></body></html>\n")]
            sms[type.rawValue] = ["en": MessageTemplate(subject: nil, text: "\(lead): {{code}}", html: nil)]
        }
        return TemplateCatalog(defaultLocale: "en", values: [:], entries: [.email: email, .sms: sms])
    }()
}

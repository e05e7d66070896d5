import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension TemplateCatalog {
    /// Renders the message for one delivery. With a WebOTP domain, an SMS ends with the origin-bound
    /// line `@domain #code` (WICG "Origin-bound one-time codes delivered via SMS").
    func render(_ p: Connector.Deliver.Params, webOTPDomain: String?) throws(ServiceError) -> RenderedMessage {
        let template = try template(channel: p.channel, type: p.templateType, locale: p.payload.locale)
        let locale = p.payload.locale ?? defaultLocale
        // The per-message keys win over the catalog's `values` of the same name.
        func value(_ key: String) -> String? {
            switch key {
            case "code": p.payload.code
            case "to": p.to
            case "type": p.templateType.rawValue
            case "locale": locale
            default: values[key]
            }
        }
        var text = MessageTemplate.fill(template.text, escapeHTML: false, value: value)
        var html: String?
        var subject: String?
        switch p.channel {
        case .email:
            subject = MessageTemplate.fill(template.subject ?? "", escapeHTML: false, value: value)
            if let source = template.html {
                html = MessageTemplate.fill(source, escapeHTML: true, value: value)
            } else {
                html = MessageTemplate.htmlParagraph(text)
            }
        case .sms:
            if let domain = webOTPDomain {
                while let last = text.last, last.isWhitespace { text.removeLast() }
                text += "\n\n@\(domain) #\(p.payload.code)"
            }
        }
        return RenderedMessage(channel: p.channel, to: p.to, type: p.templateType, code: p.payload.code, locale: p.payload.locale,
                               clientIP: p.clientIP, subject: subject, text: text, html: html)
    }
}

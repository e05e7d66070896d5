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
        var values = self.values
        values["code"] = p.payload.code
        values["to"] = p.to
        values["type"] = p.templateType.rawValue
        values["locale"] = p.payload.locale ?? defaultLocale
        var text = MessageTemplate.fill(template.text, values: values, escapeHTML: false)
        var html: String?
        var subject: String?
        switch p.channel {
        case .email:
            subject = MessageTemplate.fill(template.subject ?? "", values: values, escapeHTML: false)
            if let source = template.html {
                html = MessageTemplate.fill(source, values: values, escapeHTML: true)
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

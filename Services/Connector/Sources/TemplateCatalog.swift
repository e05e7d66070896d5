import ConfigCore
import Contracts
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Message templates per channel × usage type × locale, with built-in English defaults.
///
/// Operators override them with a JSON file named by `PASSCODE_TEMPLATES`; its entries replace the
/// built-in ones of the same channel, type and locale, and everything else keeps the default:
///
/// ```json
/// {
///   "defaultLocale": "en",
///   "values": { "appName": "Acme" },
///   "email": {
///     "SignIn":  { "en": { "subject": "Your {{appName}} code", "text": "Code: {{code}}", "html": "<b>{{code}}</b>" },
///                  "fr": { "subject": "Votre code", "text": "Code : {{code}}" } },
///     "Generic": { "en": { "subject": "Your code", "text": "Code: {{code}}" } }
///   },
///   "sms": { "Generic": { "en": { "text": "{{appName}} code: {{code}}" } } }
/// }
/// ```
///
/// - Channels are `email` and `sms`; types are the usage types (`SignIn`, `Register`, `ForgotPassword`,
///   `Generic`, …); locales are BCP 47 tags (`fr`, `fr-CA`), matched case-insensitively.
/// - Email templates need `subject` and `text`; `html` is optional (made from the text when absent).
///   SMS templates need `text`.
/// - Placeholders: `{{code}}`, `{{to}}`, `{{type}}`, `{{locale}}` and every key of `values`; unknown
///   ones render empty. Values are HTML-escaped in `html` bodies.
/// - Lookup: the requested type, then `Generic`; for each, the locale (`fr-CA`), its language (`fr`),
///   then `defaultLocale`. `Generic` must exist in `defaultLocale` for both channels (the built-in
///   English ones count), so every lookup finds a template.
struct TemplateCatalog: Sendable {
    var defaultLocale: String
    var values: [String: String]
    /// channel → usage type → lowercased locale → template.
    var entries: [Channel: [String: [String: MessageTemplate]]]

    static let variable = "PASSCODE_TEMPLATES"
    static let maxFileSize = 1 << 20

    /// The template for a message, following the type and locale fallbacks.
    func template(channel: Channel, type: TemplateType, locale: String?) throws(ServiceError) -> MessageTemplate {
        let byType = entries[channel] ?? [:]
        let locales = Self.localeChain(locale, defaultLocale: defaultLocale)
        for typeName in [type.rawValue, TemplateType.generic.rawValue] {
            guard let byLocale = byType[typeName] else { continue }
            for candidate in locales {
                if let found = byLocale[candidate] { return found }
            }
        }
        throw ServiceError.templateNotFound(type.rawValue)
    }

    /// `fr-CA` → [`fr-ca`, `fr`, default]; no locale → [default].
    static func localeChain(_ locale: String?, defaultLocale: String) -> [String] {
        var chain: [String] = []
        if let locale = locale.map(normalizedLocale), !locale.isEmpty {
            var parts = locale.split(separator: "-")
            while !parts.isEmpty {
                chain.append(parts.joined(separator: "-"))
                parts.removeLast()
            }
        }
        let fallback = normalizedLocale(defaultLocale)
        if !chain.contains(fallback) { chain.append(fallback) }
        return chain
    }

    /// Trimmed, `_` → `-`, lowercased. Every delivery normalises the default locale and its own, so
    /// ASCII tags (all real ones) take a byte path; anything else the general one.
    static func normalizedLocale(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.trimmingWhitespace().replacing("_", with: "-").lowercased()
        }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var bytes = Array(text.utf8)
        var end = bytes.count
        while end > 0, isSpace(bytes[end - 1]) { end -= 1 }
        var start = 0
        while start < end, isSpace(bytes[start]) { start += 1 }
        bytes = Array(bytes[start..<end])
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] += 0x20
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isLocaleTag(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (1...8).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    /// The built-in catalogue, overlaid by the operator's file when `PASSCODE_TEMPLATES` is set.
    static func load(_ env: Environment) throws -> TemplateCatalog {
        guard let path = env[variable] else { return builtIn }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(variable: variable, problem: "cannot read \(path)")
        }
        return try builtIn.overlaid(withFile: data)
    }

    private struct FileShape: Decodable {
        var defaultLocale: String?
        var values: [String: String]?
        var email: [String: [String: MessageTemplate]]?
        var sms: [String: [String: MessageTemplate]]?
    }

    func overlaid(withFile data: Data) throws -> TemplateCatalog {
        func bad(_ problem: String) -> ConfigError { ConfigError(variable: Self.variable, problem: problem) }
        guard data.count <= Self.maxFileSize else { throw bad("file is larger than 1 MiB") }
        let file: FileShape
        do {
            file = try JSONDecoder().decode(FileShape.self, from: data)
        } catch let error as DecodingError {
            throw bad("not a templates file: \(Self.describe(error))")
        } catch {
            throw bad("not valid JSON")
        }
        var copy = self
        if let locale = file.defaultLocale {
            guard Self.isLocaleTag(locale) else { throw bad("defaultLocale \"\(locale)\" is not a language tag") }
            copy.defaultLocale = Self.normalizedLocale(locale)
        }
        copy.values.merge(file.values ?? [:], uniquingKeysWith: { _, new in new })
        for (channel, section) in [(Channel.email, file.email), (.sms, file.sms)] {
            for (type, byLocale) in section ?? [:] {
                guard !type.isEmpty else { throw bad("\(channel.rawValue): empty usage type") }
                for (locale, template) in byLocale {
                    let at = "\(channel.rawValue).\(type).\(locale)"
                    guard Self.isLocaleTag(locale) else { throw bad("\(at): \"\(locale)\" is not a language tag") }
                    guard !template.text.isEmpty else { throw bad("\(at): text is empty") }
                    if channel == .email, (template.subject ?? "").isEmpty { throw bad("\(at): an email template needs a subject") }
                    if let subject = template.subject, subject.contains(where: { $0 == "\r" || $0 == "\n" }) {
                        throw bad("\(at): the subject must be one line")
                    }
                    copy.entries[channel, default: [:]][type, default: [:]][Self.normalizedLocale(locale)] = template
                }
            }
        }
        // Every lookup ends at Generic in the default locale: make sure it exists, so a delivery can
        // never miss its template because of the operator's file.
        for channel in Channel.allCases where copy.entries[channel]?[TemplateType.generic.rawValue]?[copy.defaultLocale] == nil {
            throw bad("\(channel.rawValue).Generic has no template for the default locale \"\(copy.defaultLocale)\"")
        }
        return copy
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map(\.stringValue).joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error {
        case .typeMismatch(_, let c): return "wrong type\(path(c))"
        case .valueNotFound(_, let c): return "missing value\(path(c))"
        case .keyNotFound(let key, let c): return "missing \"\(key.stringValue)\"\(path(c))"
        case .dataCorrupted(let c): return "malformed JSON\(path(c))"
        @unknown default: return "malformed"
        }
    }
}

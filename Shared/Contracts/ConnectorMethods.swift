/// The connector's RPC methods (issue: connector service).
public enum Connector {
    public enum Deliver: RPCMethod {
        public static let name = "deliver"
        /// Idempotent by `idempotencyKey`: the same key sends once and replays the first result.
        public static let idempotent = true
        public struct Params: Codable, Sendable {
            public var channel: Channel
            public var to: String
            public var templateType: TemplateType
            public var payload: Payload
            public var clientIP: String?
            public var idempotencyKey: String
            public init(channel: Channel, to: String, templateType: TemplateType, payload: Payload, clientIP: String? = nil,
                        idempotencyKey: String) {
                self.channel = channel
                self.to = to
                self.templateType = templateType
                self.payload = payload
                self.clientIP = clientIP
                self.idempotencyKey = idempotencyKey
            }
        }
        public struct Payload: Codable, Sendable {
            public var code: String
            public var locale: String?
            public init(code: String, locale: String? = nil) {
                self.code = code
                self.locale = locale
            }
        }
        public struct Result: Codable, Sendable, Equatable {
            public var messageId: String
            public var provider: String
            public init(messageId: String, provider: String) {
                self.messageId = messageId
                self.provider = provider
            }
        }
    }

    public enum Status: RPCMethod {
        public static let name = "status"
        public static let idempotent = true
        public typealias Params = Empty
        public struct Result: Codable, Sendable, Equatable {
            /// Provider name per channel; nil when the channel is disabled (`none`).
            public var email: String?
            public var sms: String?
            public init(email: String?, sms: String?) {
                self.email = email
                self.sms = sms
            }
        }
    }
}

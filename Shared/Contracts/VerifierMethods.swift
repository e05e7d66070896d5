/// The verifier's RPC methods (issue: verifier service). Times are Unix seconds (Double).
public enum Verifier {
    public enum InteractionStart: RPCMethod {
        public static let name = "interaction.start"
        public static let idempotent = false
        public struct Params: Codable, Sendable {
            public var event: InteractionEvent
            public init(event: InteractionEvent) { self.event = event }
        }
        public typealias Result = InteractionHandle
    }

    /// Resets an interaction: its event is replaced and all its verification records are forgotten.
    public enum InteractionReset: RPCMethod {
        public static let name = "interaction.reset"
        public static let idempotent = true
        public struct Params: Codable, Sendable {
            public var interactionId: String
            public var event: InteractionEvent
            public init(interactionId: String, event: InteractionEvent) {
                self.interactionId = interactionId
                self.event = event
            }
        }
        public typealias Result = InteractionHandle
    }

    public enum InteractionGet: RPCMethod {
        public static let name = "interaction.get"
        public static let idempotent = true
        public struct Params: Codable, Sendable {
            public var interactionId: String
            public init(interactionId: String) { self.interactionId = interactionId }
        }
        public typealias Result = InteractionView
    }

    /// Creates a code record and takes a send-rate slot in the same atomic step.
    public enum CodeIssue: RPCMethod {
        public static let name = "code.issue"
        public static let idempotent = false
        public struct Params: Codable, Sendable {
            public var scope: CodeScope
            public var identifier: Identifier
            public var templateType: TemplateType
            /// When set, the per-client-IP send cap applies too (Experience API only).
            public var clientIP: String?
            public init(scope: CodeScope, identifier: Identifier, templateType: TemplateType, clientIP: String? = nil) {
                self.scope = scope
                self.identifier = identifier
                self.templateType = templateType
                self.clientIP = clientIP
            }
        }
        public struct Result: Codable, Sendable {
            public var verificationId: String
            /// The plaintext code: only ever in this reply, the gateway's memory and the connector's message.
            public var code: String
            public var expiresAt: Double
            public init(verificationId: String, code: String, expiresAt: Double) {
                self.verificationId = verificationId
                self.code = code
                self.expiresAt = expiresAt
            }
        }
    }

    /// Gives back the send-rate slots taken by `code.issue` when delivery failed. The record stays.
    public enum CodeReleaseSlot: RPCMethod {
        public static let name = "code.releaseSlot"
        public static let idempotent = true
        public struct Params: Codable, Sendable {
            public var verificationId: String
            public init(verificationId: String) { self.verificationId = verificationId }
        }
        public typealias Result = Empty
    }

    /// The verify algorithm (API.md §4); interaction scope also feeds the lockout sentinel (§5.2).
    public enum CodeVerify: RPCMethod {
        public static let name = "code.verify"
        public static let idempotent = false
        public struct Params: Codable, Sendable {
            public var scope: CodeScope
            public var identifier: Identifier
            /// Required for interaction scope.
            public var verificationId: String?
            public var code: String
            public init(scope: CodeScope, identifier: Identifier, verificationId: String?, code: String) {
                self.scope = scope
                self.identifier = identifier
                self.verificationId = verificationId
                self.code = code
            }
        }
        public struct Result: Codable, Sendable {
            public var verificationId: String
            public init(verificationId: String) { self.verificationId = verificationId }
        }
    }

    public enum Health: RPCMethod {
        public static let name = "health"
        public static let idempotent = true
        public typealias Params = Empty
        public struct Result: Codable, Sendable {
            public var store: String
            public var storeReachable: Bool
            public var version: String
            public init(store: String, storeReachable: Bool, version: String) {
                self.store = store
                self.storeReachable = storeReachable
                self.version = version
            }
        }
    }
}

public struct InteractionHandle: Codable, Sendable, Equatable {
    public var interactionId: String
    public var expiresAt: Double
    public init(interactionId: String, expiresAt: Double) {
        self.interactionId = interactionId
        self.expiresAt = expiresAt
    }
}

/// What `GET /api/experience/interaction` shows. Never a code.
public struct InteractionView: Codable, Sendable, Equatable {
    public var interactionEvent: InteractionEvent
    public var expiresAt: Double
    public var verificationRecords: [VerificationRecordView]
    public init(interactionEvent: InteractionEvent, expiresAt: Double, verificationRecords: [VerificationRecordView]) {
        self.interactionEvent = interactionEvent
        self.expiresAt = expiresAt
        self.verificationRecords = verificationRecords
    }
}

public struct VerificationRecordView: Codable, Sendable, Equatable {
    public var id: String
    /// `EmailVerificationCode` or `PhoneVerificationCode`.
    public var type: String
    public var identifier: Identifier
    public var templateType: TemplateType
    public var verified: Bool
    public init(id: String, type: String, identifier: Identifier, templateType: TemplateType, verified: Bool) {
        self.id = id
        self.type = type
        self.identifier = identifier
        self.templateType = templateType
        self.verified = verified
    }
}

import Contracts
@testable import GatewayService
import Testing

@Suite struct BodyValidationTests {
    let api = try! makeAPI()
    let auth = "Bearer all-key-123456"

    @Test(arguments: [
        ("", "request body"), ("not json", "JSON"), ("[1,2]", "object"), (#"{}"#, "email or phone"),
        (#"{"email":5}"#, "email"), (#"{"email":"no-at-sign"}"#, "email"), (#"{"email":"a b@c.de"}"#, "email"),
        (#"{"phone":"+15551234"}"#, "phone"), (#"{"phone":"1234567890123456"}"#, "phone"), (#"{"phone":123}"#, "phone"),
    ])
    func invalidManagementSendBodiesNameTheField(_ body: String, _ field: String) async {
        let r = await api.handle(post("/api/verification-codes", body, auth: auth), backends: unreachable)
        #expect(r.status == 400)
        #expect(errorCode(r) == "guard.invalid_input")
        #expect(details(r)?.contains(field) == true, "details: \(details(r) ?? "nil")")
    }

    @Test(arguments: [
        (#"{"email":"a@b.co"}"#, "verificationCode"), (#"{"email":"a@b.co","verificationCode":""}"#, "verificationCode"),
        (#"{"email":"a@b.co","verificationCode":123456}"#, "verificationCode"),
    ])
    func invalidManagementVerifyBodies(_ body: String, _ field: String) async {
        let r = await api.handle(post("/api/verification-codes/verify", body, auth: auth), backends: unreachable)
        #expect(r.status == 400)
        #expect(details(r)?.contains(field) == true)
    }

    @Test(arguments: [(#"{}"#, "interactionEvent"), (#"{"interactionEvent":"Login"}"#, "interactionEvent"),
                      (#"{"interactionEvent":1}"#, "interactionEvent")])
    func invalidExperienceStartBodies(_ body: String, _ field: String) async {
        let r = await api.handle(GatewayRequest(method: "PUT", path: "/api/experience", body: Array(body.utf8)), backends: unreachable)
        #expect(r.status == 400)
        #expect(details(r)?.contains(field) == true)
    }

    @Test(arguments: [
        ("a@b.co", true), ("x@y.z", true), ("a@b", false), ("@b.co", false), ("a@.co", false), ("a@b.", false),
        ("a@b.co ", false), ("ü@ß.de", true), (String(repeating: "a", count: 250) + "@b.co", true),
        (String(repeating: "a", count: 252) + "@b.co", false), ("a@b\u{00A0}.co", false),
    ])
    func emailPattern(_ value: String, _ valid: Bool) {
        #expect(IdentifierRules.isValidEmail(value) == valid)
    }

    @Test(arguments: [("15551234567", true), ("1", true), ("", false), ("+1555", false), ("555 123", false),
                      ("123456789012345", true), ("1234567890123456", false), ("١٢٣", false)])
    func phonePattern(_ value: String, _ valid: Bool) {
        #expect(IdentifierRules.isValidPhone(value) == valid)
    }
}

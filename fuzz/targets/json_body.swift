// libFuzzer target: the gateway's JSON body validation (Services/Gateway/Sources/RequestBodies.swift
// and IdentifierRules.swift) and the flat-object reader it tries first (Contracts'
// FlatJSONObject.swift), compiled with this file. Besides "never crash", it checks what the
// validation promises: an accepted identifier satisfies API.md §1, an accepted code is 1–64 bytes,
// no error detail ever repeats a digit code from the input, and the flat reader reads whatever it
// accepts as the general parser does.
import Contracts
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let body: JSONBody
    do {
        body = try JSONBody(bytes)
    } catch {
        return 0
    }
    // The flat-object reader the body tries first must read whatever it accepts as the general
    // parser does (FlatJSONObject.swift).
    if let flat = FlatJSONObject(bytes) {
        guard case .object(let tree)? = JSONValue.parse(bytes) else { fatalError("flat reader accepted what the parser refuses") }
        for (key, value) in tree where flat.string(key) != value.stringValue || value.stringValue == nil {
            fatalError("flat reader disagrees with the parser on \(key)")
        }
    }
    let codes = [body.value("verificationCode"), body.value("code")].compactMap { $0?.stringValue }
        .filter { $0.utf8.count >= 4 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }

    func check(_ error: ServiceError) {
        guard error.code == "guard.invalid_input", error.status == 400 else { fatalError("unexpected error \(error.code)") }
        for code in codes {
            if error.message.contains(code) || (error.details ?? "").contains(code) { fatalError("an error repeats the code") }
        }
    }
    func checkIdentifier(_ identifier: Identifier) {
        guard IdentifierRules.isValid(identifier) else { fatalError("an invalid identifier was accepted") }
        switch identifier.type {
        case .email: guard identifier.value.count <= 256 else { fatalError("email too long") }
        case .phone: guard identifier.value.utf8.count <= 15 else { fatalError("phone too long") }
        }
    }

    do { checkIdentifier(try body.managementIdentifier()) } catch { check(error) }
    do {
        let verify = try ManagementVerifyBody(body)
        checkIdentifier(verify.identifier)
        guard !verify.code.isEmpty, verify.code.utf8.count <= 64 else { fatalError("bad code accepted") }
    } catch { check(error) }
    do { checkIdentifier(try ExperienceSendBody(body).identifier) } catch { check(error) }
    do {
        let verify = try ExperienceVerifyBody(body)
        checkIdentifier(verify.identifier)
        guard verify.code.utf8.count <= 64, verify.verificationId.utf8.count <= 128 else { fatalError("oversize field accepted") }
    } catch { check(error) }
    do { _ = try body.event("interactionEvent") } catch { check(error) }
    return 0
}

// libFuzzer target: the gateway's JSON body validation (Services/Gateway/Sources/RequestBodies.swift
// and IdentifierRules.swift), compiled with this file. Besides "never crash", it checks what the
// validation promises: an accepted identifier satisfies API.md §1, an accepted code is 1–64 bytes,
// and no error detail ever repeats a digit code from the input.
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
    let codes = [body.object["verificationCode"], body.object["code"]].compactMap { $0?.stringValue }
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

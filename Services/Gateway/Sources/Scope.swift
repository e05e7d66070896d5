/// What a Management API caller may do (API.md §2).
public enum Scope: String, Sendable, CaseIterable {
    case all
    case send = "verification-codes:send"
    case verify = "verification-codes:verify"
}

extension Set where Element == Scope {
    func allows(_ needed: Scope) -> Bool { contains(.all) || contains(needed) }
}

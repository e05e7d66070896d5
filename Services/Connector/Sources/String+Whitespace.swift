extension StringProtocol {
    /// Without leading and trailing horizontal white space (tab and Unicode space separators), like
    /// Foundation's `trimmingCharacters(in: .whitespaces)`, which FoundationEssentials does not have.
    func trimmingHorizontalSpace() -> String {
        func isSpace(_ c: Character) -> Bool {
            c == "\t" || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator }
        }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

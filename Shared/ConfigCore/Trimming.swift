extension StringProtocol {
    /// The text without leading and trailing white space (`Character.isWhitespace`: spaces, tabs,
    /// line breaks). The services use FoundationEssentials, which has no `trimmingCharacters(in:)`.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!  // exists: `first` is a non-space character
        return String(self[first...last])
    }
}

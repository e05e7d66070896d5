import Testing

@Test func connectorBuilds() {
    #expect(Bool(true))
}

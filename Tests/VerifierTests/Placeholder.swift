import Testing

@Test func verifierBuilds() {
    #expect(Bool(true))
}

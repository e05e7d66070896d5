import Testing

@Test func configCoreBuilds() {
    #expect(Bool(true))
}

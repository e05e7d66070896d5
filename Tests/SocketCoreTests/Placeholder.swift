import Testing

@Test func socketCoreBuilds() {
    #expect(Bool(true))
}

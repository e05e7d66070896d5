import Testing

@Test func hTTPCoreBuilds() {
    #expect(Bool(true))
}

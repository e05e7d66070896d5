import Testing

@Test func rPCCoreBuilds() {
    #expect(Bool(true))
}

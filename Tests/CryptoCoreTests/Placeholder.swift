import Testing

@Test func cryptoCoreBuilds() {
    #expect(Bool(true))
}

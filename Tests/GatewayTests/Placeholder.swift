import Testing

@Test func gatewayBuilds() {
    #expect(Bool(true))
}

import Testing
@testable import SocketCore

/// `appendDecimal` spells integers as `String(value)` does.
@Suite struct DecimalBytesTests {
    private func spelled(_ value: Int) -> String {
        var out: [UInt8] = Array("x=".utf8)
        out.appendDecimal(value)
        return String(decoding: out, as: UTF8.self)
    }

    private func spelled(_ value: UInt64) -> String {
        var out: [UInt8] = Array("x=".utf8)
        out.appendDecimal(value)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func edgesOfEveryWidth() {
        #expect(spelled(0) == "x=0")
        #expect(spelled(Int.max) == "x=\(Int.max)")
        #expect(spelled(Int.min) == "x=\(Int.min)")
        #expect(spelled(UInt64.max) == "x=\(UInt64.max)")
        #expect(spelled(-128) == "x=-128")
        #expect(spelled(Int(Int32.min)) == "x=\(Int32.min)")
        #expect(spelled(255) == "x=255")
        #expect(spelled(-1) == "x=-1")
    }

    @Test func powersOfTenAndTheirNeighbours() {
        var power: UInt64 = 1
        for _ in 0..<19 {
            for value in [power - 1, power, power + 1] {
                #expect(spelled(value) == "x=\(value)")
                #expect(spelled(-Int(value)) == "x=\(-Int(value))")
            }
            power *= 10
        }
    }

    @Test func randomValuesMatchTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let value = Int.random(in: .min ... .max, using: &generator)
            #expect(spelled(value) == "x=\(value)")
            let unsigned = UInt64.random(in: 0 ... .max, using: &generator) >> UInt64.random(in: 0..<64, using: &generator)
            #expect(spelled(unsigned) == "x=\(unsigned)")
        }
    }
}

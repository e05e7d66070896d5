import Foundation
import TestSupport
import Testing

@testable import HTTPCore

/// Replays the committed libFuzzer seed corpora (`fuzz/corpus/http_parser`, `fuzz/corpus/cookie`)
/// in every test run, so each seed — including any crash input turned into a seed — stays a
/// regression test without libFuzzer.
@Suite struct FuzzCorpusTests {
    @Test func httpParserSeedsRunThroughTheFuzzEntryPoint() {
        let seeds = FuzzCorpus.seeds("http_parser")
        #expect(seeds.count >= 10)
        for seed in seeds { HTTPRequestParser.fuzz(seed.bytes) }
    }

    @Test func cookieSeedsKeepThePairCapAndNeverYieldAnEmptyName() {
        let seeds = FuzzCorpus.seeds("cookie")
        #expect(seeds.count >= 5)
        for seed in seeds {
            let cookies = Cookies(parsing: String(decoding: seed.bytes, as: UTF8.self))
            #expect(cookies.pairs.count <= Cookies.maxCount, "\(seed.name)")
            #expect(!cookies.pairs.contains { $0.name.isEmpty }, "\(seed.name)")
        }
    }
}

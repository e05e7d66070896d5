import Foundation
import Testing

@testable import HTTPCore

/// Replays the committed libFuzzer seed corpora (`fuzz/corpus/http_parser`, `fuzz/corpus/cookie`)
/// in every test run, so each seed — including any crash input turned into a seed — stays a
/// regression test without libFuzzer.
@Suite struct FuzzCorpusTests {
    static func corpus(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz/corpus/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { name in
            (try? Data(contentsOf: directory.appendingPathComponent(name))).map { (name, Array($0)) }
        }
    }

    @Test func httpParserSeedsRunThroughTheFuzzEntryPoint() {
        let seeds = Self.corpus("http_parser")
        #expect(seeds.count >= 10)
        for seed in seeds { HTTPRequestParser.fuzz(seed.bytes) }
    }

    @Test func cookieSeedsKeepThePairCapAndNeverYieldAnEmptyName() {
        let seeds = Self.corpus("cookie")
        #expect(seeds.count >= 5)
        for seed in seeds {
            let cookies = Cookies(parsing: String(decoding: seed.bytes, as: UTF8.self))
            #expect(cookies.pairs.count <= Cookies.maxCount, "\(seed.name)")
            #expect(!cookies.pairs.contains { $0.name.isEmpty }, "\(seed.name)")
        }
    }
}

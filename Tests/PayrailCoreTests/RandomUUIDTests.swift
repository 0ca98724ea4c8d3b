import Foundation
import Testing

@testable import PayrailCore

@Suite("Random UUIDs")
struct RandomUUIDTests {
    @Test("they are version 4, variant 1, lower case, and Foundation parses them back to the same bits")
    func shape() throws {
        for _ in 0..<1000 {
            let text = RandomUUID.string()
            #expect(text.count == 36)
            #expect(text == text.lowercased())
            let parsed = try #require(UUID(uuidString: text))
            #expect(parsed.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4)
            #expect(bytes[8] >> 6 == 0b10)
        }
    }

    @Test("the compact form is the same 32 hex digits without hyphens")
    func compact() {
        let text = RandomUUID.compact()
        #expect(text.count == 32)
        #expect(text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
    }

    @Test("known bits give the known text: version and variant set, the rest kept")
    func knownBits() {
        #expect(
            RandomUUID.format(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210, hyphens: true)
                == "01234567-89ab-4def-bedc-ba9876543210")
        #expect(RandomUUID.format(high: 0, low: 0, hyphens: false) == "00000000000040008000000000000000")
    }

    @Test("time-ordered ones are version 7 with the time first: later ones sort after, same-millisecond ones differ")
    func timeOrdered() throws {
        let start: Int64 = 1_795_400_000_000
        var previous = ""
        var drawn: Set<String> = []
        for step in 0..<1000 {
            let text = RandomUUID.timeOrdered(millis: start + Int64(step / 10))
            let parsed = try #require(UUID(uuidString: text))
            #expect(parsed.uuidString.lowercased() == text)
            let bytes = withUnsafeBytes(of: parsed.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 7)
            #expect(bytes[8] >> 6 == 0b10)
            let millis = bytes[0..<6].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            #expect(millis == start + Int64(step / 10))
            if step % 10 == 0 { #expect(text > previous, "a later millisecond sorts after") }
            previous = text
            drawn.insert(text)
        }
        #expect(drawn.count == 1000)
        #expect(RandomUUID.timeOrdered(millis: 0).hasPrefix("00000000-0000-7"))
    }

    @Test("a thousand draws are all different")
    func unique() {
        #expect(Set((0..<1000).map { _ in RandomUUID.string() }).count == 1000)
    }

    @Test(
        "the pooled generator's words are all different across refills and threads, and about half their bits are set")
    func pooledWords() async {
        // 4 tasks × 1,500 words: each task crosses the pool's 512-word refill several times, interleaved.
        let drawn = await withTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var generator = PooledRandom()
                    return (0..<1500).map { _ in generator.next() }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(drawn.count == 6000)
        #expect(Set(drawn).count == drawn.count)  // a repeated or zeroed pool would repeat words
        let ones = drawn.reduce(0) { $0 + $1.nonzeroBitCount }
        let share = Double(ones) / Double(drawn.count * 64)
        #expect(abs(share - 0.5) < 0.01, "share of set bits \(share)")  // 384,000 bits: sd ≈ 0.0008
    }
}

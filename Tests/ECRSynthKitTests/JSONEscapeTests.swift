@testable import ECRSynthKit
import ECRSpec
import Foundation
import Testing

@Suite struct JSONEscapeTests {
    /// `JSON.stringify` of a string, one character at a time: the plain definition the writer's
    /// word-at-a-time scan must agree with.
    static func reference(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where u.value < 0x20: out += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func escaped(_ s: String) -> String {
        let out = ByteSink(capacity: 16)
        JSONWriter.escape(s, into: out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    @Test func escapesAsJavaScriptDoes() {
        #expect(Self.escaped("") == "\"\"")
        #expect(Self.escaped("a/b é ✓ 🙂 \u{7F}") == "\"a/b é ✓ 🙂 \u{7F}\"")
        #expect(Self.escaped("\u{0}\u{1F}\u{08}\u{0C}\n\r\t") == "\"\\u0000\\u001f\\b\\f\\n\\r\\t\"")
        #expect(Self.escaped("{\"rules\":[{\"a\":\"b\\\\c\"}]}") == "\"{\\\"rules\\\":[{\\\"a\\\":\\\"b\\\\\\\\c\\\"}]}\"")
    }

    @Test func escapingAgreesWithTheDefinitionOnRandomStrings() throws {
        // Every byte that needs an escape, at every position of an eight-byte word, among letters
        // and multi-byte characters; bytes 0x80 and above must never look like one.
        let pieces: [String] = ["a", "Z", "0", "/", " ", "\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{20}", "\u{21}",
                                "\u{5B}", "\u{5D}", "\u{7F}", "é", "\u{A2}", "\u{DC}", "✓", "🙂", "\u{100}\u{122}"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let s = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            let ours = Self.escaped(s)
            #expect(ours == Self.reference(s), "\(Array(s.utf8))")
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(ours)]".utf8)) as? [String]
            #expect(decoded == [s])
        }
    }

    @Test func newlinesIndentAtAnyDepth() {
        for depth in [0, 1, 7, 63, 64, 65, 200] {
            let out = ByteSink(capacity: 16)
            JSONWriter.newline(out, depth)
            #expect(out.bytes == [0x0A] + [UInt8](repeating: 0x20, count: depth), "\(depth)")
        }
    }
}

@Suite struct CompactJSONTests {
    /// The same writer calls through `CompactJSON` and through the `JSONValue` tree give the bytes of
    /// `JSONWriter.compact`.
    @Test func writesWhatCompactWrites() {
        func body<S: JSONSink>(_ s: inout S) {
            s.key(string: "a\"b")
            s.string("x\ny/é")
            s.member("n", JSONValue.int(-12))
            s.member("min", int: Int.min)
            s.member("zero", int: 0)
            s.key("t")
            s.bool(true)
            s.member("empty", object: { _ in })
            s.member("none", array: { _ in })
            s.member("list", array: { a in
                a.string("1")
                a.object { $0.member("k", JSONValue.array([.null, .bool(false), .object([])])) }
                a.ref("Id")
                a.getAtt("Id", "Arn")
            })
            s.member("nested", object: { o in
                o.member("deeper", object: { $0.member("z", "\u{01}") })
            })
        }
        var compact = CompactJSON()
        compact.object { body(&$0) }
        var builder = JSONValueBuilder()
        body(&builder)
        #expect(String(decoding: compact.bytes, as: UTF8.self) == JSONWriter.compact(.object(builder.members)))
    }
}

@Suite struct ByteSinkTests {
    /// Integers read as `String(i)` writes them, at the ends of the range and around powers of ten.
    @Test func writesIntegersAsStringDoes() {
        var values = [0, 1, -1, 9, 10, -10, 99, 100, Int.max, Int.min, Int.max - 1, Int.min + 1]
        var p = 1
        while p <= Int.max / 10 {
            p *= 10
            values += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        for i in values {
            let out = ByteSink(capacity: 1)
            out.append(decimal: i)
            #expect(String(decoding: out.bytes, as: UTF8.self) == String(i))
        }
    }

    /// Appends of every kind past the capacity, many times over, keep every byte in order.
    @Test func growsWithoutLosingBytes() {
        let out = ByteSink(capacity: 1)
        var expected: [UInt8] = []
        var rng = SystemRandomNumberGenerator()
        for n in 0..<3000 {
            switch n % 5 {
            case 0:
                let u = UInt8.random(in: 0...255, using: &rng)
                out.append(u)
                expected.append(u)
            case 1:
                let run = (0..<Int.random(in: 0...700, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                run.withUnsafeBufferPointer { out.append($0) }
                expected += run
            case 2:
                out.append("{}")
                expected += Array("{}".utf8)
            case 3:
                // Room for ten, two written.
                out.write(upTo: 10) { p in
                    p[0] = 7
                    p[1] = 8
                    return 2
                }
                expected += [7, 8]
            default:
                out.write(upTo: 3) { p in
                    p[0] = 1
                    p[1] = 2
                    p[2] = 3
                    return 3
                }
                expected += [1, 2, 3]
            }
            #expect(out.count == expected.count)
        }
        #expect(out.bytes == expected)
    }
}

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
        var out: [UInt8] = []
        JSONWriter.escape(s, into: &out)
        return String(decoding: out, as: UTF8.self)
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
            var out: [UInt8] = []
            JSONWriter.newline(&out, depth)
            #expect(out == [0x0A] + [UInt8](repeating: 0x20, count: depth), "\(depth)")
        }
    }
}

@Suite struct CompactJSONTests {
    /// The same writer calls through `CompactJSON` and through the `JSONValue` tree give the bytes of
    /// `JSONWriter.compact`.
    @Test func writesWhatCompactWrites() {
        func body<S: JSONSink>(_ s: inout S) {
            s.member("a\"b", "x\ny/é")
            s.member("n", JSONValue.int(-12))
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

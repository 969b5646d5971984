import ECRSpec

/// The one JSON writer: keys in the order given, strings escaped as JavaScript's `JSON.stringify`
/// escapes them (so `/` and non-ASCII stay as they are), integers only, identical bytes every run.
public enum JSONWriter {
    /// Indented the way the CDK writes templates (one space a level), with a final newline.
    public static func pretty(_ value: JSONValue) -> String {
        String(decoding: prettyBytes(value), as: UTF8.self)
    }

    public static func prettyBytes(_ value: JSONValue) -> [UInt8] {
        let out = ByteSink(capacity: 4096)
        writePretty(value, into: out, indent: 0)
        out.append(0x0A)
        return out.bytes
    }

    /// No whitespace at all, as `JSON.stringify(value)`.
    public static func compact(_ value: JSONValue) -> String {
        let out = ByteSink(capacity: 256)
        writeCompact(value, into: out)
        return out.text
    }

    /// Writes `value` nested `indent` levels deep, one space a level.
    static func writePretty(_ value: JSONValue, into out: ByteSink, indent: Int) {
        switch value {
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(out, indent + 1)
                writePretty(item, into: out, indent: indent + 1)
            }
            newline(out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.append("{}"); return }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in pairs {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(out, indent + 1)
                escape(key, into: out)
                out.append(": ")
                writePretty(item, into: out, indent: indent + 1)
            }
            newline(out, indent)
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: out)
        }
    }

    /// Writes `value` without any whitespace.
    static func writeCompact(_ value: JSONValue, into out: ByteSink) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCompact(item, into: out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                escape(key, into: out)
                out.append(UInt8(ascii: ":"))
                writeCompact(item, into: out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: out)
        }
    }

    private static func writeScalar(_ value: JSONValue, into out: ByteSink) {
        switch value {
        case .string(let s): escape(s, into: out)
        case .int(let i): out.append(decimal: i)
        case .double(let d):
            var text = d.isFinite ? String(d) : "null"
            text.withUTF8 { out.append($0) }
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .array, .object: preconditionFailure("not a scalar")
        }
    }

    /// A line break and `indent` spaces, the spaces stored eight at a time (into room for up to seven
    /// more past the end, which are not counted and which the next write covers).
    @inline(__always)
    static func newline(_ out: ByteSink, _ indent: Int) {
        out.write(upTo: indent + 9) { p in
            p[0] = 0x0A
            let spaces: UInt64 = 0x2020_2020_2020_2020
            var i = 0
            while i < indent {
                UnsafeMutableRawPointer(p + 1 + i).storeBytes(of: spaces, as: UInt64.self)
                i += 8
            }
            return indent + 1
        }
    }

    /// Writes `s`, a text written in the code that needs no escape, in quotes, followed by `suffix`.
    @inline(__always)
    static func quote(_ s: StaticString, into out: ByteSink, then suffix: StaticString) {
        s.withUTF8Buffer { text in
            assert(!text.contains(where: escapes), "\(s) needs an escape")
            suffix.withUTF8Buffer { after in
                let n = text.count
                out.write(upTo: n + 2 + after.count) { dst in
                    dst[0] = UInt8(ascii: "\"")
                    if n > 0 { (dst + 1).update(from: text.baseAddress!, count: n) }
                    dst[n + 1] = UInt8(ascii: "\"")
                    if after.count > 0 { (dst + n + 2).update(from: after.baseAddress!, count: after.count) }
                    return n + 2 + after.count
                }
            }
        }
    }

    static func escape(_ s: String, into out: ByteSink) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { bytes in
            escapeQuoted(bytes, into: out)
        }
        if done == nil { Array(s.utf8).withUnsafeBufferPointer { escapeQuoted($0, into: out) } }
    }

    /// Writes `bytes` in quotes, escaped. The text is copied eight bytes at a time while it is checked,
    /// straight into room for all of it: most strings need no escape and are done in that one pass.
    /// At the first byte that needs one, the rest goes through `escapeRest`.
    @inline(__always)
    private static func escapeQuoted(_ bytes: UnsafeBufferPointer<UInt8>, into out: ByteSink) {
        let n = bytes.count
        var clean = 0
        out.write(upTo: n + 2) { dst in
            dst[0] = UInt8(ascii: "\"")
            guard let src = bytes.baseAddress else {
                dst[1] = UInt8(ascii: "\"")
                clean = n
                return 2
            }
            var i = 0
            while n - i >= 8 {
                let w = UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)
                if needsEscape(w) { break }
                UnsafeMutableRawPointer(dst + 1 + i).storeBytes(of: w, as: UInt64.self)
                i += 8
            }
            while i < n, !escapes(src[i]) {
                dst[1 + i] = src[i]
                i += 1
            }
            clean = i
            if i == n {
                dst[1 + n] = UInt8(ascii: "\"")
                return n + 2
            }
            return 1 + i
        }
        if clean < n {
            escapeRest(UnsafeBufferPointer(rebasing: bytes[clean...]), into: out)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Appends `bytes` escaped, byte by byte into room for the worst case (every byte written as
    /// `\u00XX`): a string that needs one escape (such as an embedded policy) usually needs many.
    private static func escapeRest(_ bytes: UnsafeBufferPointer<UInt8>, into out: ByteSink) {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        out.write(upTo: 6 * end) { dst in
            var o = 0
            for i in 0..<end {
                let u = base[i]
                if !escapes(u) {
                    dst[o] = u
                    o += 1
                    continue
                }
                dst[o] = 0x5C
                let short = shortEscape(u)
                if short != 0 {
                    dst[o + 1] = short
                    o += 2
                } else {
                    let hex: StaticString = "0123456789abcdef"
                    hex.withUTF8Buffer { hex in
                        dst[o + 1] = UInt8(ascii: "u")
                        dst[o + 2] = UInt8(ascii: "0")
                        dst[o + 3] = UInt8(ascii: "0")
                        dst[o + 4] = hex[Int(u >> 4)]
                        dst[o + 5] = hex[Int(u & 0x0F)]
                    }
                    o += 6
                }
            }
            return o
        }
    }

    @inline(__always)
    private static func escapes(_ u: UInt8) -> Bool {
        u < 0x20 || u == 0x22 || u == 0x5C
    }

    /// The letter of a two-character escape (`\"`, `\\`, `\n`, …), or 0 for `\u00XX`.
    @inline(__always)
    private static func shortEscape(_ u: UInt8) -> UInt8 {
        switch u {
        case 0x22, 0x5C: u
        case 0x0A: UInt8(ascii: "n")
        case 0x0D: UInt8(ascii: "r")
        case 0x09: UInt8(ascii: "t")
        case 0x08: UInt8(ascii: "b")
        case 0x0C: UInt8(ascii: "f")
        default: 0
        }
    }
}

/// Whether any byte of `w` is a control character, `"` or `\` (bit tricks: a byte below 0x20, or
/// equal to one of the two once XORed to zero, sets its high bit in the result).
@inline(__always)
private func needsEscape(_ w: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
    let control = (w &- ones &* 0x20) & ~w & highs
    let q = w ^ (ones &* 0x22), b = w ^ (ones &* 0x5C)
    let quote = (q &- ones) & ~q & highs
    let backslash = (b &- ones) & ~b & highs
    return control | quote | backslash != 0
}

/// Building JSON objects in a fixed key order.
struct JSONObject {
    private(set) var pairs: [(String, JSONValue)] = []

    mutating func set(_ key: String, _ value: JSONValue?) {
        guard let value else { return }
        pairs.append((key, value))
    }

    var json: JSONValue { .object(pairs) }
    var isEmpty: Bool { pairs.isEmpty }
}

extension JSONValue {
    static func ref(_ logicalID: String) -> JSONValue { .object([("Ref", .string(logicalID))]) }
    static func getAtt(_ logicalID: String, _ attribute: String) -> JSONValue {
        .object([("Fn::GetAtt", .array([.string(logicalID), .string(attribute)]))])
    }
    /// One element renders as the element itself, as the CDK renders IAM lists.
    static func scalarOrList(_ values: [JSONValue]) -> JSONValue {
        values.count == 1 ? values[0] : .array(values)
    }
}

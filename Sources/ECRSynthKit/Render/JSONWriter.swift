import ECRSpec

/// The one JSON writer: keys in the order given, strings escaped as JavaScript's `JSON.stringify`
/// escapes them (so `/` and non-ASCII stay as they are), integers only, identical bytes every run.
public enum JSONWriter {
    /// Indented the way the CDK writes templates (one space a level), with a final newline.
    public static func pretty(_ value: JSONValue) -> String {
        String(decoding: prettyBytes(value), as: UTF8.self)
    }

    public static func prettyBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        writePretty(value, into: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    /// No whitespace at all, as `JSON.stringify(value)`.
    public static func compact(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeCompact(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes `value` nested `indent` levels deep, one space a level.
    static func writePretty(_ value: JSONValue, into out: inout [UInt8], indent: Int) {
        switch value {
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(&out, indent + 1)
                writePretty(item, into: &out, indent: indent + 1)
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, item) in pairs {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(&out, indent + 1)
                escape(key, into: &out)
                out.append(contentsOf: ": ".utf8)
                writePretty(item, into: &out, indent: indent + 1)
            }
            newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: &out)
        }
    }

    /// Writes `value` without any whitespace.
    static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCompact(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                escape(key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCompact(item, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: &out)
        }
    }

    private static func writeScalar(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s): escape(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .array, .object: preconditionFailure("not a scalar")
        }
    }

    /// A line break and the indentation of up to 64 levels, without reference counting.
    private static let breakAndSpaces: StaticString = "\n                                                                "

    static func newline(_ out: inout [UInt8], _ indent: Int) {
        breakAndSpaces.withUTF8Buffer { line in
            if indent < line.count {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: line[0...indent]))
            } else {
                out.append(contentsOf: line)
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent - (line.count - 1)))
            }
        }
    }

    static func escape(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            escapeRuns(bytes, into: &out)
            return true
        }
        if done != true { Array(s.utf8).withUnsafeBufferPointer { escapeRuns($0, into: &out) } }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` escaped. Most strings need no escape and are copied whole; the others are
    /// measured first, then written in place in one go.
    private static func escapeRuns(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        // The first byte that needs an escape, eight bytes at a time while none does.
        var i = 0
        while end - i >= 8, !needsEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { i += 8 }
        while i < end, !escapes(bytes[i]) { i += 1 }
        if i == end {
            out.append(contentsOf: bytes)
            return
        }
        var extra = 0
        for k in i..<end where escapes(bytes[k]) { extra += shortEscape(bytes[k]) == 0 ? 5 : 1 }
        let first = i
        let oldCount = out.count
        out.append(contentsOf: repeatElement(0, count: end + extra))
        out.withUnsafeMutableBufferPointer { buffer in
            let dst = buffer.baseAddress! + oldCount
            dst.update(from: base, count: first)
            var o = first
            for k in first..<end {
                let u = bytes[k]
                guard escapes(u) else {
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

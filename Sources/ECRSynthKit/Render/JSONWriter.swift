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
    private static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
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

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(0x0A)
        var left = indent
        while left > 0 {
            let n = min(left, spaces.count)
            out.append(contentsOf: spaces[0..<n])
            left -= n
        }
    }

    static func escape(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            escapeRuns(bytes, into: &out)
            return true
        }
        if done != true { escapeRuns(Array(s.utf8), into: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies the runs between bytes that need an escape whole; most strings are one run.
    private static func escapeRuns<C: RandomAccessCollection>(_ bytes: C, into out: inout [UInt8])
    where C.Element == UInt8, C.Index == Int {
        var start = bytes.startIndex
        var i = start
        let end = bytes.endIndex
        while i < end {
            let u = bytes[i]
            guard u < 0x20 || u == 0x22 || u == 0x5C else { i += 1; continue }
            if start < i { out.append(contentsOf: bytes[start..<i]) }
            let short: UInt8
            switch u {
            case 0x22, 0x5C: short = u
            case 0x0A: short = UInt8(ascii: "n")
            case 0x0D: short = UInt8(ascii: "r")
            case 0x09: short = UInt8(ascii: "t")
            case 0x08: short = UInt8(ascii: "b")
            case 0x0C: short = UInt8(ascii: "f")
            default: short = 0
            }
            if short != 0 {
                out.append(0x5C)
                out.append(short)
            } else {
                out.append(contentsOf: ("\\u00" + String(u, radix: 16).leftPad(2)).utf8)
            }
            i += 1
            start = i
        }
        if start < end { out.append(contentsOf: bytes[start..<end]) }
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
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

import ECRSpec

/// The one JSON writer: keys in the order given, strings escaped as JavaScript's `JSON.stringify`
/// escapes them (so `/` and non-ASCII stay as they are), integers only, identical bytes every run.
public enum JSONWriter {
    /// Indented the way the CDK writes templates (one space a level), with a final newline.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(4096)
        write(value, into: &out, indent: 0, step: 1)
        out += "\n"
        return out
    }

    /// No whitespace at all, as `JSON.stringify(value)`.
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, step: 0)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: Int?, step: Int) {
        switch value {
        case .string(let s): escape(s, into: &out)
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent.map { $0 + step })
                write(item, into: &out, indent: indent.map { $0 + step }, step: step)
            }
            newline(&out, indent)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, item)) in pairs.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent.map { $0 + step })
                escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                write(item, into: &out, indent: indent.map { $0 + step }, step: step)
            }
            newline(&out, indent)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: Int?) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: " ", count: indent)
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        var plain = true
        for u in s.utf8 where u < 0x20 || u == 0x22 || u == 0x5C {
            plain = false
            break
        }
        if plain {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if scalar.value < 0x20 {
                        out += "\\u00" + String(scalar.value, radix: 16).leftPad(2)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
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

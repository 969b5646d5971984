import CYAML

/// A value to emit as YAML. Strings say whether they must be quoted to stay strings.
public indirect enum EmitNode: Sendable {
    case string(String)
    /// A number or boolean, written plain.
    case literal(String)
    case sequence([EmitNode])
    case mapping([(String, EmitNode)])
}

public struct EmitterError: Error, Sendable {
    public var message: String
}

/// Writes YAML with libyaml's emitter (the same C library that reads specs).
public enum YAMLEmitter {
    public static func emit(_ root: EmitNode) throws(EmitterError) -> [UInt8] {
        let e = try Session()
        try e.send { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
        try e.send { yaml_document_start_event_initialize(&$0, nil, nil, nil, 1) }
        try e.node(root)
        try e.send { yaml_document_end_event_initialize(&$0, 1) }
        try e.send { yaml_stream_end_event_initialize(&$0) }
        return e.bytes
    }

    /// One emitter and the bytes it has written.
    private final class Session {
        var emitter = yaml_emitter_t()
        var bytes: [UInt8] = []

        init() throws(EmitterError) {
            guard yaml_emitter_initialize(&emitter) == 1 else { throw EmitterError(message: "cannot start the YAML emitter") }
            yaml_emitter_set_output(&emitter, { data, buffer, size in
                let session = Unmanaged<Session>.fromOpaque(data!).takeUnretainedValue()
                session.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                return 1
            }, Unmanaged.passUnretained(self).toOpaque())
            yaml_emitter_set_unicode(&emitter, 1)
            yaml_emitter_set_width(&emitter, -1)
            yaml_emitter_set_indent(&emitter, 2)
        }

        deinit { yaml_emitter_delete(&emitter) }

        func send(_ make: (inout yaml_event_t) -> Int32) throws(EmitterError) {
            var event = yaml_event_t()
            guard make(&event) == 1 else { throw EmitterError(message: "cannot build a YAML event") }
            guard yaml_emitter_emit(&emitter, &event) == 1 else {
                throw EmitterError(message: emitter.problem.map { String(cString: $0) } ?? "YAML emitter failed")
            }
        }

        func scalar(_ s: String, style: yaml_scalar_style_t) throws(EmitterError) {
            var text = Array(s.utf8)
            text.append(0)
            try text.withUnsafeMutableBufferPointer { buf throws(EmitterError) in
                try send { yaml_scalar_event_initialize(&$0, nil, nil, buf.baseAddress!, Int32(buf.count - 1), 1, 1, style) }
            }
        }

        func node(_ node: EmitNode) throws(EmitterError) {
            switch node {
            case .string(let s):
                try scalar(s, style: YAMLEmitter.needsQuotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)
            case .literal(let s):
                try scalar(s, style: YAML_PLAIN_SCALAR_STYLE)
            case .sequence(let items):
                try send { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE) }
                for item in items { try self.node(item) }
                try send { yaml_sequence_end_event_initialize(&$0) }
            case .mapping(let pairs):
                try send { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE) }
                for (key, value) in pairs {
                    try scalar(key, style: YAMLEmitter.needsQuotes(key) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)
                    try self.node(value)
                }
                try send { yaml_mapping_end_event_initialize(&$0) }
            }
        }
    }

    /// A string that a YAML 1.1 or 1.2 reader would take for something else when written plain:
    /// booleans, nulls, numbers, dates, and text starting with an indicator.
    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let lower = s.lowercased()
        // "<<" and "=" are YAML 1.1's merge and value keys: PyYAML (so cfn-lint) cannot load them plain.
        if ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ".nan", ".inf", "-.inf", "+.inf", "<<", "="].contains(lower) {
            return true
        }
        // Anything starting like a number or a date (digits, sign, dot) is quoted.
        if let first = s.utf8.first, (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || first == UInt8(ascii: ".") {
            return true
        }
        return false
    }
}

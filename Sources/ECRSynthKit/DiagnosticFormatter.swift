import ECRSpec

/// Renders diagnostics for people (compiler style), for tools (JSON) and for GitHub Actions.
public enum DiagnosticFormatter {
    public struct Style: Sendable {
        public var colour: Bool
        public init(colour: Bool) { self.colour = colour }
    }

    public static func text(_ d: [Diagnostic], path: String, style: Style = Style(colour: false)) -> String {
        var out = ""
        for diagnostic in d {
            out += line(path, diagnostic.mark.line, diagnostic.mark.column, diagnostic.severity.rawValue, diagnostic.message, style)
            for note in diagnostic.notes {
                out += line(path, note.mark.line, note.mark.column, "note", note.message, style)
            }
        }
        return out
    }

    private static func line(_ path: String, _ l: Int, _ c: Int, _ severity: String, _ rawMessage: String, _ style: Style) -> String {
        let message = visible(rawMessage)  // a spec's text must not move the cursor, recolour or forge lines
        guard style.colour else { return "\(path):\(l):\(c): \(severity): \(message)\n" }
        let colour = severity == "error" ? "\u{1B}[1;31m" : severity == "warning" ? "\u{1B}[1;33m" : "\u{1B}[1;36m"
        return "\u{1B}[1m\(path):\(l):\(c):\u{1B}[0m \(colour)\(severity):\u{1B}[0m \u{1B}[1m\(message)\u{1B}[0m\n"
    }

    /// `spec.yaml: 2 errors, 1 warning`
    public static func summary(_ d: [Diagnostic], path: String) -> String {
        let errors = d.filter { $0.severity == .error }.count
        let warnings = d.filter { $0.severity == .warning }.count
        return "\(path): \(plural(errors, "error")), \(plural(warnings, "warning"))\n"
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    /// One JSON document for every file validated.
    public static func json(_ results: [(path: String, diagnostics: [Diagnostic])]) -> String {
        var files: [JSONValue] = []
        var errors = 0, warnings = 0
        for (path, ds) in results {
            var items: [JSONValue] = []
            for d in ds {
                if d.severity == .error { errors += 1 } else if d.severity == .warning { warnings += 1 }
                items.append(.object([
                    ("severity", .string(d.severity.rawValue)),
                    ("line", .int(d.mark.line)),
                    ("column", .int(d.mark.column)),
                    ("message", .string(d.message)),
                    ("notes", .array(d.notes.map {
                        .object([("line", .int($0.mark.line)), ("column", .int($0.mark.column)), ("message", .string($0.message))])
                    })),
                ]))
            }
            files.append(.object([("path", .string(path)), ("valid", .bool(!ds.hasErrors)), ("diagnostics", .array(items))]))
        }
        return JSONWriter.pretty(.object([
            ("version", .int(1)), ("errors", .int(errors)), ("warnings", .int(warnings)), ("files", .array(files)),
        ]))
    }

    /// GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`.
    public static func github(_ d: [Diagnostic], path: String) -> String {
        var out = ""
        for x in d {
            let kind = x.severity == .error ? "error" : x.severity == .warning ? "warning" : "notice"
            var message = x.message
            for n in x.notes { message += "\nnote (line \(n.mark.line)): \(n.message)" }
            out += "::\(kind) file=\(property(path)),line=\(x.mark.line),col=\(x.mark.column),title=ecrsynth::\(data(message))\n"
        }
        return out
    }

    /// Escaped scalar by scalar: "\r\n" is one Character, so a Character-wise replace would let a CRLF
    /// in a spec value through and start a forged workflow command on the next line.
    static func data(_ s: String) -> String { escape(s, property: false) }

    static func property(_ s: String) -> String { escape(s, property: true) }

    private static func escape(_ s: String, property: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":" where property: out += "%3A"
            case "," where property: out += "%2C"
            default: appendVisible(u, to: &out)
            }
        }
        return out
    }

    /// Control characters (C0, DEL, C1) shown as `\u{1B}`, so text from a spec cannot drive the terminal.
    static func visible(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars { appendVisible(u, to: &out) }
        return out
    }

    private static func isControl(_ u: Unicode.Scalar) -> Bool { u.value < 0x20 || (0x7F...0x9F).contains(u.value) }

    private static func appendVisible(_ u: Unicode.Scalar, to out: inout String) {
        if isControl(u) {
            out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
        } else {
            out.unicodeScalars.append(u)
        }
    }
}

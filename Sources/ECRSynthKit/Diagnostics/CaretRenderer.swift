import ECRSpec
import YAML

/// Diagnostics for a person at a terminal, in the Swift and Rust compilers' style: the plain
/// `path:line:col: severity: message` line first (so tools that scrape it still work), then the
/// source line with a gutter and a caret under the column; each note gets the same.
///
/// ```
/// spec.yaml:7:5: error: unknown key 'imageScanOnPsh' in a repository; did you mean 'imageScanOnPush'?
///   |
/// 7 |     imageScanOnPsh: true
///   |     ^
/// ```
///
/// Columns are libyaml's: they count characters (Unicode scalars), a tab being one. The caret is
/// placed by display width: a tab is shown as four spaces, East Asian wide characters and emoji take
/// two cells, combining marks none, and control characters are shown as U+FFFD.
public enum CaretRenderer {
    public static let tabWidth = 4

    public static func text(_ diagnostics: [Diagnostic], path: String, source: [UInt8],
                            style: DiagnosticFormatter.Style = .init(colour: false)) -> String {
        // UTF-16 and UTF-32 specs are refused; their lines would show as noise.
        let wide = source.starts(with: [0xFF, 0xFE]) || source.starts(with: [0xFE, 0xFF]) || source.prefix(2).contains(0)
        let lines = SourceLines(wide ? [] : source)
        var out = ""
        for d in diagnostics {
            let marks = [d.mark] + d.notes.map(\.mark)
            let width = String(marks.map(\.line).max() ?? 1).count
            var head = d
            head.notes = []
            out += DiagnosticFormatter.text([head], path: path, style: style)
            out += snippet(lines, d.mark, width: width, severity: d.severity, style: style)
            for note in d.notes {
                out += DiagnosticFormatter.text([Diagnostic(.note, note.message, at: note.mark)], path: path, style: style)
                out += snippet(lines, note.mark, width: width, severity: .note, style: style)
            }
            out += "\n"
        }
        return out
    }

    /// The gutter, the source line and the caret line for one mark; nothing when the line does not exist.
    static func snippet(_ lines: SourceLines, _ mark: Mark, width: Int, severity: Diagnostic.Severity,
                        style: DiagnosticFormatter.Style) -> String {
        guard lines.hasText, let line = lines.line(mark.line, upTo: 4 * (min(max(1, mark.column), 1 << 32) + maxCells + 1)) else { return "" }
        let (shown, pad) = display(line, column: mark.column)
        let blue = style.colour ? "\u{1B}[1;34m" : ""
        let caretColour = !style.colour ? "" : severity == .error ? "\u{1B}[1;31m" : severity == .warning ? "\u{1B}[1;33m" : "\u{1B}[1;36m"
        let reset = style.colour ? "\u{1B}[0m" : ""
        let empty = String(repeating: " ", count: width)
        let number = String(repeating: " ", count: width - String(mark.line).count) + String(mark.line)
        var out = "\(blue)\(empty) |\(reset)\n"
        out += "\(blue)\(number) |\(reset)" + (shown.isEmpty ? "" : " " + shown) + "\n"
        out += "\(blue)\(empty) |\(reset) " + String(repeating: " ", count: pad) + "\(caretColour)^\(reset)\n"
        return out
    }

    /// At most this many cells of a line are shown; a longer line is cut around the column, with
    /// `…` where it is cut (a one-line spec of megabytes must not print megabytes per diagnostic).
    public static let maxCells = 160
    static let leftContext = 60

    /// The line as shown (tabs expanded, control characters replaced, long lines cut around the
    /// column) and the number of cells before the character at `column` (1-based, in Unicode scalars).
    public static func display(_ line: String, column: Int) -> (shown: String, pad: Int) {
        let column = max(1, column)
        var cells: [(text: String, width: Int)] = []
        var cutRight = false
        for u in line.unicodeScalars {
            if cells.count >= column + maxCells {
                cutRight = true
                break
            }
            cells.append(cell(u))
        }
        let before = min(column - 1, cells.count)
        // A column past the end (an error at the end of the line) is after the last character.
        let pastEnd = max(0, column - 1 - cells.count)
        var lo = 0
        var hi = cells.count
        let total = cells.reduce(0) { $0 + $1.width }
        if cutRight || total > maxCells {
            var left = 0
            lo = before
            while lo > 0, left + cells[lo - 1].width <= leftContext {
                lo -= 1
                left += cells[lo].width
            }
            var used = 0
            hi = lo
            while hi < cells.count, used + cells[hi].width <= maxCells {
                used += cells[hi].width
                hi += 1
            }
            if hi < cells.count { cutRight = true }
        }
        var shown = lo > 0 ? "…" : ""
        for c in cells[lo..<hi] { shown += c.text }
        if cutRight { shown += "…" }
        var pad = (lo > 0 ? 1 : 0) + pastEnd
        for c in cells[lo..<before] { pad += c.width }
        while shown.hasSuffix(" ") { shown.removeLast() }
        return (shown, pad)
    }

    static func cell(_ u: Unicode.Scalar) -> (String, Int) {
        if u == "\t" { return (String(repeating: " ", count: tabWidth), tabWidth) }
        if u.value < 0x20 || (0x7F...0x9F).contains(u.value) { return ("\u{FFFD}", 1) }
        let w = width(u)
        return (String(u), w)
    }

    /// Terminal cells a scalar takes: 0 for combining marks and zero-width characters, 2 for East
    /// Asian wide and fullwidth characters and emoji, else 1.
    public static func width(_ u: Unicode.Scalar) -> Int {
        let v = u.value
        switch u.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0xFE00...0xFE0F).contains(v) || v == 0x200B { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
            0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
            0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
            0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
            0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
            0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
            0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
            0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F, 0x1F680...0x1F6FF,
            0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
        ]
        // Binary search over the sorted ranges.
        var lo = 0, hi = wide.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if v < wide[mid].lowerBound { hi = mid - 1 } else if v > wide[mid].upperBound { lo = mid + 1 } else { return 2 }
        }
        return 1
    }
}

/// A spec's lines, split where libyaml counts a line break: LF, CR LF, CR, and (YAML 1.1) NEL,
/// LINE SEPARATOR and PARAGRAPH SEPARATOR. A byte order mark at the start is not part of line 1.
struct SourceLines {
    private let bytes: [UInt8]
    private var ranges: [Range<Int>] = []

    init(_ source: [UInt8]) {
        bytes = source
        var start = source.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        while i < source.count {
            let b = source[i]
            var breakLength = 0
            if b == 0x0A {
                breakLength = 1
            } else if b == 0x0D {
                breakLength = i + 1 < source.count && source[i + 1] == 0x0A ? 2 : 1
            } else if b == 0xC2, i + 1 < source.count, source[i + 1] == 0x85 {
                breakLength = 2
            } else if b == 0xE2, i + 2 < source.count, source[i + 1] == 0x80, source[i + 2] == 0xA8 || source[i + 2] == 0xA9 {
                breakLength = 3
            }
            if breakLength > 0 {
                ranges.append(start..<i)
                i += breakLength
                start = i
            } else {
                i += 1
            }
        }
        ranges.append(start..<source.count)
    }

    /// Line `n` (1-based), decoded as UTF-8 with replacement characters, at most its first
    /// `maxBytes` bytes; nil when there is no such line.
    func line(_ n: Int, upTo maxBytes: Int = .max) -> String? {
        guard n >= 1, n <= ranges.count else { return nil }
        let r = ranges[n - 1]
        return String(decoding: bytes[r.lowerBound..<min(r.upperBound, r.lowerBound &+ max(0, maxBytes))], as: UTF8.self)
    }

    var count: Int { ranges.count }

    /// False for an empty source (or one not shown), whose only "line" is empty.
    var hasText: Bool { !bytes.isEmpty }
}

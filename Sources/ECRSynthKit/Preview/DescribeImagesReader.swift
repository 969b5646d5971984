import ECRSpec

/// Reads the JSON `aws ecr describe-images --output json` prints. A purpose-built scanner: one pass
/// over the bytes, unknown keys skipped without building values, every problem placed by its JSON
/// path (`imageDetails[3].imagePushedAt`) and syntax errors by line and column.
public enum DescribeImagesReader {
    public struct Result: Sendable {
        public var images: [PreviewImage]
        public var problems: [InputProblem]
        /// Each distinct `repositoryName` of the entries, with the index of its first entry.
        public var repositoryNames: [(name: String, firstIndex: Int)]
    }

    /// Problems beyond this many errors are counted, not listed.
    public static let maxListedErrors = 20

    public static func read(_ bytes: [UInt8]) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(scanner: Scanner(b: buffer))
            do throws(SyntaxError) {
                try reader.document()
            } catch {
                // Nothing found before the syntax error is worth reporting next to it.
                reader.problems.removeAll()
                reader.images.removeAll()
                let (line, column) = reader.scanner.lineColumn(of: error.offset)
                reader.problems.append(InputProblem(.error, .position(line: line, column: column), "not valid JSON: \(error.message)"))
            }
            if !reader.problems.hasErrors { reader.reportDuplicateDigests() }
            return Result(images: reader.images, problems: reader.limited(), repositoryNames: reader.repositoryNames)
        }
    }

    struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    enum Kind {
        case object, array, string, number, bool, null

        var description: String {
            switch self {
            case .object: "an object"
            case .array: "a list"
            case .string: "a string"
            case .number: "a number"
            case .bool: "true or false"
            case .null: "null"
            }
        }
    }

    /// Bytes → tokens. Offsets are byte offsets into the input.
    struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        init(b: UnsafeBufferPointer<UInt8>) {
            self.b = b
            if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        }

        mutating func skipWhitespace() {
            while i < b.count {
                let c = b[i]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                i += 1
            }
        }

        /// The kind of the next value, after whitespace.
        mutating func peekKind() throws(SyntaxError) -> Kind {
            skipWhitespace()
            guard i < b.count else { throw SyntaxError(offset: i, message: "the document ends where a value was expected") }
            switch b[i] {
            case 0x7B: return .object
            case 0x5B: return .array
            case 0x22: return .string
            case 0x74, 0x66: return .bool
            case 0x6E: return .null
            case 0x2D, 0x30...0x39: return .number
            default: throw SyntaxError(offset: i, message: "expected a value, found \(found())")
            }
        }

        func found() -> String {
            guard i < b.count else { return "the end of the document" }
            let c = b[i]
            if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
            let hex = String(c, radix: 16, uppercase: true)
            return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
        }

        mutating func expect(_ c: UInt8, _ what: String) throws(SyntaxError) {
            skipWhitespace()
            guard i < b.count, b[i] == c else { throw SyntaxError(offset: i, message: "expected \(what), found \(found())") }
            i += 1
        }

        /// After whitespace: consumes `c` and returns true when it is next.
        mutating func take(_ c: UInt8) -> Bool {
            skipWhitespace()
            if i < b.count, b[i] == c { i += 1; return true }
            return false
        }

        /// A string token; `i` is at its opening quote.
        mutating func string() throws(SyntaxError) -> String {
            let start = i
            i += 1
            let contentStart = i
            // Fast path: no escapes.
            while i < b.count {
                let c = b[i]
                if c == 0x22 {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: b[contentStart..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if c == 0x5C { break }
                if c < 0x20 { throw SyntaxError(offset: i, message: "a control character inside a string must be escaped") }
                i += 1
            }
            guard i < b.count else { throw SyntaxError(offset: start, message: "this string is never closed") }
            var bytes = Array(UnsafeBufferPointer(rebasing: b[contentStart..<i]))
            while i < b.count {
                let c = b[i]
                if c == 0x22 {
                    i += 1
                    return String(decoding: bytes, as: UTF8.self)
                }
                if c < 0x20 { throw SyntaxError(offset: i, message: "a control character inside a string must be escaped") }
                if c != 0x5C {
                    bytes.append(c)
                    i += 1
                    continue
                }
                let escapeStart = i
                i += 1
                guard i < b.count else { break }
                let e = b[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: bytes.append(e)
                case 0x62: bytes.append(0x08)
                case 0x66: bytes.append(0x0C)
                case 0x6E: bytes.append(0x0A)
                case 0x72: bytes.append(0x0D)
                case 0x74: bytes.append(0x09)
                case 0x75:
                    var scalar = try hex4(escapeStart)
                    if (0xD800..<0xDC00).contains(scalar), i + 1 < b.count, b[i] == 0x5C, b[i + 1] == 0x75 {
                        let save = i
                        i += 2
                        let low = try hex4(save)
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            i = save
                        }
                    }
                    let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    bytes.append(contentsOf: String(Character(u)).utf8)
                default:
                    throw SyntaxError(offset: escapeStart, message: "'\\\(Character(Unicode.Scalar(e)))' is not a JSON escape")
                }
            }
            throw SyntaxError(offset: start, message: "this string is never closed")
        }

        private mutating func hex4(_ escapeStart: Int) throws(SyntaxError) -> UInt32 {
            guard i + 4 <= b.count else { throw SyntaxError(offset: escapeStart, message: "'\\u' needs four hex digits") }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = b[i + k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw SyntaxError(offset: escapeStart, message: "'\\u' needs four hex digits")
                }
                v = v << 4 | d
            }
            i += 4
            return v
        }

        /// The content of a string token without escapes, or nil (and `i` unspecified) if it has any.
        mutating func plainString() -> Range<Int>? {
            let start = i + 1
            var k = start
            while k < b.count {
                let c = b[k]
                if c == 0x22 {
                    i = k + 1
                    return start..<k
                }
                if c == 0x5C || c < 0x20 { return nil }
                k += 1
            }
            return nil
        }

        /// A number token's bytes, checked against JSON's grammar.
        mutating func number() throws(SyntaxError) -> Range<Int> {
            let start = i
            func digits() -> Int {
                let s = i
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
                return i - s
            }
            if i < b.count, b[i] == 0x2D { i += 1 }
            guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw SyntaxError(offset: start, message: "a number needs digits") }
            if b[i] == 0x30 { i += 1 } else { _ = digits() }
            if i < b.count, b[i] == 0x2E {
                i += 1
                guard digits() > 0 else { throw SyntaxError(offset: start, message: "a number needs digits after '.'") }
            }
            if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
                i += 1
                if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
                guard digits() > 0 else { throw SyntaxError(offset: start, message: "a number needs digits in its exponent") }
            }
            return start..<i
        }

        mutating func literal() throws(SyntaxError) -> Bool? {
            for (word, value) in [("true", true as Bool?), ("false", false), ("null", nil)] {
                let w = Array(word.utf8)
                if i + w.count <= b.count, Array(UnsafeBufferPointer(rebasing: b[i..<(i + w.count)])) == w {
                    i += w.count
                    return value
                }
            }
            throw SyntaxError(offset: i, message: "expected a value, found \(found())")
        }

        /// Skips one value of any kind.
        mutating func skipValue(depth: Int = 0) throws(SyntaxError) {
            guard depth < 512 else { throw SyntaxError(offset: i, message: "nested more than 512 levels deep") }
            switch try peekKind() {
            case .string: _ = try skipString()
            case .number: _ = try number()
            case .bool, .null: _ = try literal()
            case .array:
                i += 1
                if take(0x5D) { return }
                repeat { try skipValue(depth: depth + 1) } while take(0x2C)
                try expect(0x5D, "',' or ']'")
            case .object:
                i += 1
                if take(0x7D) { return }
                repeat {
                    skipWhitespace()
                    guard i < b.count, b[i] == 0x22 else { throw SyntaxError(offset: i, message: "expected a key in quotes, found \(found())") }
                    try skipString()
                    try expect(0x3A, "':'")
                    try skipValue(depth: depth + 1)
                } while take(0x2C)
                try expect(0x7D, "',' or '}'")
            }
        }

        private mutating func skipString() throws(SyntaxError) {
            let start = i
            i += 1
            while i < b.count {
                let c = b[i]
                if c == 0x22 { i += 1; return }
                if c == 0x5C { i += 2; continue }
                if c < 0x20 { throw SyntaxError(offset: i, message: "a control character inside a string must be escaped") }
                i += 1
            }
            throw SyntaxError(offset: start, message: "this string is never closed")
        }

        /// A key, as the byte range between its quotes (keys with escapes match no known key), and
        /// the ':' after it. `i` is before optional whitespace and the opening quote.
        mutating func key() throws(SyntaxError) -> Range<Int> {
            skipWhitespace()
            guard i < b.count, b[i] == 0x22 else { throw SyntaxError(offset: i, message: "expected a key in quotes, found \(found())") }
            let start = i + 1
            try skipString()
            let end = i - 1
            try expect(0x3A, "':' after the key")
            return start..<end
        }

        func lineColumn(of offset: Int) -> (Int, Int) {
            var line = 1
            var lineStart = 0
            var k = 0
            let end = min(offset, b.count)
            while k < end {
                if b[k] == 0x0A { line += 1; lineStart = k + 1 }
                k += 1
            }
            // Columns count characters, not bytes.
            var column = 1
            k = lineStart
            while k < end {
                if b[k] & 0xC0 != 0x80 { column += 1 }
                k += 1
            }
            return (line, column)
        }

        func equals(_ r: Range<Int>, _ s: StaticString) -> Bool {
            guard r.count == s.utf8CodeUnitCount else { return false }
            let p = s.utf8Start
            for k in 0..<r.count where b[r.lowerBound + k] != p[k] { return false }
            return true
        }
    }
}

extension DescribeImagesReader {
    /// Tokens → images, collecting every problem that does not stop the scan.
    struct Reader {
        var scanner: Scanner
        var images: [PreviewImage] = []
        var problems: [InputProblem] = []
        var repositoryNames: [(name: String, firstIndex: Int)] = []

        init(scanner: Scanner) { self.scanner = scanner }

        mutating func error(_ path: String, _ message: String) {
            problems.append(InputProblem(.error, .jsonPath(path), message))
        }

        mutating func warning(_ path: String, _ message: String) {
            problems.append(InputProblem(.warning, .jsonPath(path), message))
        }

        static let expectedInput = "expected the output of 'aws ecr describe-images --output json'"

        mutating func document() throws(SyntaxError) {
            if scanner.b.count == 0 || { scanner.skipWhitespace(); return scanner.i == scanner.b.count }() {
                throw SyntaxError(offset: scanner.i, message: "the file is empty; \(Self.expectedInput)")
            }
            let kind = try scanner.peekKind()
            var sawDetails = false
            if kind == .object {
                scanner.i += 1
                if !scanner.take(0x7D) {
                    repeat {
                        let k = try scanner.key()
                        if scanner.equals(k, "imageDetails") {
                            sawDetails = true
                            try details()
                        } else if scanner.equals(k, "nextToken"), try scanner.peekKind() == .string {
                            _ = try scanner.string()
                            problems.append(InputProblem(.warning, .jsonPath("nextToken"),
                                "the listing is incomplete (there is a next page); run 'aws ecr describe-images' without '--max-items' or '--no-paginate' to preview every image"))
                        } else {
                            try scanner.skipValue()
                        }
                    } while scanner.take(0x2C)
                    try scanner.expect(0x7D, "',' or '}'")
                }
            } else {
                try scanner.skipValue()
            }
            scanner.skipWhitespace()
            guard scanner.i == scanner.b.count else {
                throw SyntaxError(offset: scanner.i, message: "unexpected \(scanner.found()) after the end of the document")
            }
            if kind != .object {
                problems.append(InputProblem(.error, .file, "\(Self.expectedInput) (an object with 'imageDetails'), got \(kind.description)"))
            } else if !sawDetails {
                problems.append(InputProblem(.error, .file, "no 'imageDetails' key; \(Self.expectedInput)"))
            }
        }

        mutating func details() throws(SyntaxError) {
            let kind = try scanner.peekKind()
            guard kind == .array else {
                error("imageDetails", "expected a list, got \(kind.description)")
                try scanner.skipValue()
                return
            }
            scanner.i += 1
            if scanner.take(0x5D) { return }
            var index = 0
            repeat {
                try image(index)
                index += 1
            } while scanner.take(0x2C)
            try scanner.expect(0x5D, "',' or ']'")
        }

        static func path(_ index: Int, _ key: String? = nil) -> String {
            key.map { "imageDetails[\(index)].\($0)" } ?? "imageDetails[\(index)]"
        }

        mutating func image(_ index: Int) throws(SyntaxError) {
            let kind = try scanner.peekKind()
            guard kind == .object else {
                error(Self.path(index), "expected an object describing an image, got \(kind.description)")
                try scanner.skipValue()
                return
            }
            scanner.i += 1
            var digest: String?
            var digestGiven = false
            var tags: [String] = []
            var pushed: (PreviewTime, String, Bool)?
            var pushedGiven = false
            var pulled: PreviewTime?
            var archived: PreviewTime?
            var activated: PreviewTime?
            var status = PreviewImage.Status.active
            var ok = true
            if !scanner.take(0x7D) {
                repeat {
                    let k = try scanner.key()
                    if scanner.equals(k, "imageDigest") {
                        digestGiven = true
                        let kind = try scanner.peekKind()
                        let text = kind == .string ? try scanner.string() : nil
                        if let text, !text.isEmpty {
                            digest = text
                        } else {
                            error(Self.path(index, "imageDigest"), "expected a digest such as 'sha256:…', got \(text.map(quoted) ?? kind.description)")
                            if text == nil { try scanner.skipValue() }
                            ok = false
                        }
                    } else if scanner.equals(k, "imageTags") {
                        switch try scanner.peekKind() {
                        case .null: _ = try scanner.literal()
                        case .array:
                            scanner.i += 1
                            if !scanner.take(0x5D) {
                                var t = 0
                                repeat {
                                    let kind = try scanner.peekKind()
                                    if kind == .string {
                                        tags.append(try scanner.string())
                                    } else {
                                        error(Self.path(index, "imageTags[\(t)]"), "expected a tag (a string), got \(kind.description)")
                                        try scanner.skipValue()
                                        ok = false
                                    }
                                    t += 1
                                } while scanner.take(0x2C)
                                try scanner.expect(0x5D, "',' or ']'")
                            }
                        case let other:
                            error(Self.path(index, "imageTags"), "expected a list of tags, got \(other.description)")
                            try scanner.skipValue()
                            ok = false
                        }
                    } else if scanner.equals(k, "imagePushedAt") {
                        pushedGiven = true
                        pushed = try timestamp(index, "imagePushedAt", keepText: true)
                        if pushed == nil { ok = false }
                    } else if scanner.equals(k, "lastRecordedPullTime") {
                        if case .some(let t) = try optionalTimestamp(index, "lastRecordedPullTime", &ok) { pulled = t }
                    } else if scanner.equals(k, "lastArchivedAt") {
                        if case .some(let t) = try optionalTimestamp(index, "lastArchivedAt", &ok) { archived = t }
                    } else if scanner.equals(k, "lastActivatedAt") {
                        if case .some(let t) = try optionalTimestamp(index, "lastActivatedAt", &ok) { activated = t }
                    } else if scanner.equals(k, "imageStatus") {
                        let kind = try scanner.peekKind()
                        let text = kind == .string ? try scanner.string() : nil
                        if let text, let s = PreviewImage.Status(rawValue: text) {
                            status = s
                        } else {
                            error(Self.path(index, "imageStatus"), "expected ACTIVE, ARCHIVED or ACTIVATING, got \(text.map(quoted) ?? kind.description)")
                            if text == nil { try scanner.skipValue() }
                            ok = false
                        }
                    } else if scanner.equals(k, "repositoryName"), try scanner.peekKind() == .string {
                        let name = try scanner.string()
                        if !repositoryNames.contains(where: { $0.name == name }) { repositoryNames.append((name, index)) }
                    } else {
                        try scanner.skipValue()
                    }
                } while scanner.take(0x2C)
                try scanner.expect(0x7D, "',' or '}'")
            }
            if !digestGiven {
                error(Self.path(index), "missing 'imageDigest'")
                ok = false
            }
            if !pushedGiven {
                error(Self.path(index), "missing 'imagePushedAt'")
                ok = false
            }
            guard ok, let digest, let pushed else { return }
            if status == .archived && archived == nil {
                warning(Self.path(index), "an ARCHIVED image without 'lastArchivedAt'; no 'maxTimeInArchive' rule can expire it")
            }
            var image = PreviewImage(digest: digest, tags: tags, pushedAt: pushed.0, pushedAtJSON: .null,
                                     lastPulledAt: pulled, lastArchivedAt: archived, lastActivatedAt: activated, status: status)
            image.pushedAtText = pushed.1
            image.pushedAtIsNumber = pushed.2
            images.append(image)
        }

        /// `.some(nil)` for JSON null, `nil` for an error (already reported).
        private mutating func optionalTimestamp(_ index: Int, _ key: String, _ ok: inout Bool) throws(SyntaxError) -> PreviewTime?? {
            if try scanner.peekKind() == .null {
                _ = try scanner.literal()
                return .some(nil)
            }
            guard let t = try timestamp(index, key) else {
                ok = false
                return nil
            }
            return .some(t.0)
        }

        static let timestampExpectation = "expected an ISO 8601 time or epoch seconds"

        /// The time, and with `keepText` its text as written and whether it was a number.
        private mutating func timestamp(_ index: Int, _ key: String, keepText: Bool = false) throws(SyntaxError) -> (PreviewTime, String, Bool)? {
            switch try scanner.peekKind() {
            case .string:
                // Times have no escapes: parse the bytes in place, make a string only when it is kept.
                let start = scanner.i
                if let r = scanner.plainString(), let t = PreviewTime.parseISO8601(bytes: UnsafeBufferPointer(rebasing: scanner.b[r])) {
                    return (t, keepText ? String(decoding: UnsafeBufferPointer(rebasing: scanner.b[r]), as: UTF8.self) : "", false)
                }
                scanner.i = start
                let s = try scanner.string()
                if let t = PreviewTime.parseISO8601(s) { return (t, s, false) }
                error(Self.path(index, key), "\(Self.timestampExpectation), got \(quoted(s))")
                return nil
            case .number:
                let r = try scanner.number()
                let raw = UnsafeBufferPointer(rebasing: scanner.b[r])
                if let t = PreviewTime.parseEpochSeconds(bytes: raw) {
                    return (t, keepText ? String(decoding: raw, as: UTF8.self) : "", true)
                }
                error(Self.path(index, key), "\(Self.timestampExpectation), got \(String(decoding: raw, as: UTF8.self))")
                return nil
            case let other:
                error(Self.path(index, key), "\(Self.timestampExpectation), got \(other.description)")
                try scanner.skipValue()
                return nil
            }
        }

        /// Digests listed twice (as concatenated pages would be). An open-addressing table keyed by
        /// FNV-1a of the digest: a fraction of the cost of a `[String: Int]` for 100,000 digests.
        /// Without errors, every entry became an image, so image indices are entry indices.
        mutating func reportDuplicateDigests() {
            let n = images.count
            var capacity = 16
            while capacity < 2 * n { capacity <<= 1 }
            let mask = capacity - 1
            var table = [Int32](repeating: -1, count: capacity)
            for i in 0..<n {
                let digest = images[i].digest
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                for c in digest.utf8 { h = (h ^ UInt64(c)) &* 0x100_0000_01B3 }
                var slot = Int(truncatingIfNeeded: h) & mask
                while true {
                    let j = table[slot]
                    if j < 0 {
                        table[slot] = Int32(i)
                        break
                    }
                    if images[Int(j)].digest == digest {
                        warning(Self.path(i, "imageDigest"), "\(quoted(digest)) is listed again (first at \(Self.path(Int(j)))); both entries are previewed")
                        break
                    }
                    slot = (slot + 1) & mask
                }
            }
        }

        /// At most `maxListedErrors` errors and as many warnings, with a count of the rest.
        func limited() -> [InputProblem] {
            var out: [InputProblem] = []
            var shown: [InputProblem.Severity: Int] = [:]
            var hidden: [InputProblem.Severity: Int] = [:]
            for p in problems {
                if shown[p.severity, default: 0] < maxListedErrors {
                    out.append(p)
                    shown[p.severity, default: 0] += 1
                } else {
                    hidden[p.severity, default: 0] += 1
                }
            }
            for severity in [InputProblem.Severity.error, .warning] {
                if let n = hidden[severity] {
                    out.append(InputProblem(.note, .file, "\(n) more \(severity.rawValue)\(n == 1 ? "" : "s") not shown"))
                }
            }
            return out
        }
    }
}

/// `'text'`, shortened past 60 characters.
func quoted(_ s: String) -> String {
    s.count > 60 ? "'\(s.prefix(57))…'" : "'\(s)'"
}

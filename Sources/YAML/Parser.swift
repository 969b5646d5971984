import CYAML

/// Limits enforced while streaming, so that hostile input fails fast instead of exhausting the machine.
public struct ParseLimits: Sendable {
    /// Largest input accepted, in bytes.
    public var maxBytes: Int
    /// Deepest nesting of sequences and mappings.
    public var maxDepth: Int
    /// Most nodes the document may hold once every alias is expanded (the billion-laughs budget).
    public var maxNodes: Int

    public init(maxBytes: Int = 16 << 20, maxDepth: Int = 64, maxNodes: Int = 2_000_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let `default` = ParseLimits()
}

/// Composes libyaml's parser events into a `Node` tree.
///
/// Anchors, aliases and merge keys (`<<`) are resolved here. Duplicate keys, undefined aliases,
/// more than one document, and the limits of `ParseLimits` are reported as `YAMLProblem`s.
public enum YAMLParser {
    /// Parses one document. Returns nil for a stream with no document (empty or comments only).
    public static func parse(_ bytes: [UInt8], limits: ParseLimits = .default,
                             observer: (any ParseObserver)? = nil) throws(YAMLError) -> Node? {
        if bytes.count > limits.maxBytes {
            throw YAMLError([YAMLProblem(
                "input is \(bytes.count) bytes; the largest spec accepted is \(limits.maxBytes) bytes",
                at: .start)])
        }
        if let encoding = utf16or32(bytes) {
            throw YAMLError([YAMLProblem(
                "input is \(encoding) encoded; save the spec as UTF-8", at: .start)])
        }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let result: Result<Node?, YAMLError> = body.withUnsafeBufferPointer { buffer in
            var composer = Composer(limits: limits, input: buffer)
            composer.observer = observer
            return composer.run()
        }
        return try result.get()
    }

    private static func utf16or32(_ b: [UInt8]) -> String? {
        if b.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || b.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return "UTF-32" }
        if b.starts(with: [0xFE, 0xFF]) || b.starts(with: [0xFF, 0xFE]) { return "UTF-16" }
        // No byte order mark: UTF-16 text of ASCII characters has a NUL in every other byte.
        if b.count >= 4, (b[0] == 0 && b[1] != 0 && b[2] == 0) || (b[0] != 0 && b[1] == 0 && b[3] == 0) {
            return "UTF-16"
        }
        return nil
    }
}

/// Sees parts of the document as soon as they are composed, while the rest is still being parsed,
/// so work on them can start early. What it sees may still be rejected: only the parse's result counts.
public protocol ParseObserver: AnyObject {
    /// A complete value of the root mapping.
    func rootValue(key: String, value: Node)
    /// A complete element of the sequence that is the value of the root mapping's `key` (written at
    /// `sequence`); `index` counts from 0.
    func rootSequenceItem(key: String, sequence: Mark, index: Int, item: Node)
}

private struct Composer {
    let limits: ParseLimits
    let input: UnsafeBufferPointer<UInt8>
    var observer: (any ParseObserver)?

    /// A collection being built. Its finished elements wait on the composer's scratch stacks
    /// (`pairScratch` or `itemScratch`, from `start` on) and move into one array of their exact size
    /// when it ends: one allocation per collection instead of one per doubling.
    struct Frame {
        var mark: Mark
        var anchor: String?
        var tag: String?
        var isMapping: Bool
        /// Where this collection's elements begin on its scratch stack.
        var start: Int
        var pendingKey: Node?
        /// Whether a merge key ('<<') is among the pairs.
        var hasMergeKey = false
        /// Where each text key was written, once the mapping is large; small ones are searched.
        var seenKeys: [String: Mark]?
        var weight = 1

        static let searchLimit = 16
    }

    /// Elements of open collections, innermost last (collections close in the reverse order they open).
    var pairScratch = Scratch<Pair>()
    var itemScratch = Scratch<Node>()

    var stack: [Frame] = []
    var anchors: [String: (node: Node, weight: Int)] = [:]
    var problems: [YAMLProblem] = []
    var expanded = 0
    var documents = 0
    var root: Node?

    init(limits: ParseLimits, input: UnsafeBufferPointer<UInt8>) {
        self.limits = limits
        self.input = input
    }

    mutating func run() -> Result<Node?, YAMLError> {
        defer {
            pairScratch.release()
            itemScratch.release()
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(YAMLError([YAMLProblem("out of memory while starting the YAML parser", at: .start)]))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, input.baseAddress ?? UnsafePointer(bitPattern: 1)!, input.count)

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                problems.append(libyamlProblem(parser))
                return .failure(YAMLError(problems))
            }
            defer { yaml_event_delete(&event) }
            let type = event.type
            if type == YAML_STREAM_END_EVENT { break }
            if let fatal = handle(event) {
                problems.append(fatal)
                return .failure(YAMLError(problems))
            }
        }
        if !problems.isEmpty { return .failure(YAMLError(problems)) }
        return .success(root)
    }

    /// Handles one event; returns a problem that stops parsing.
    mutating func handle(_ event: yaml_event_t) -> YAMLProblem? {
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                return YAMLProblem("found a second YAML document; a spec is a single document", at: mark)
            }
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                return YAMLProblem("undefined alias '\(name)'", at: mark)
            }
            expanded += target.weight
            if expanded > limits.maxNodes {
                return YAMLProblem(
                    "aliases expand the document beyond \(limits.maxNodes) nodes; share less through '*\(name)'",
                    at: mark)
            }
            var node = target.node
            node.mark = mark
            return add(node, weight: target.weight, anchor: nil)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
            let style: ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = Node(.scalar(value, style), mark: mark, tag: s.tag.map { String(cString: $0) })
            expanded += 1
            if expanded > limits.maxNodes {
                return YAMLProblem("document has more than \(limits.maxNodes) nodes", at: mark)
            }
            return add(node, weight: 1, anchor: s.anchor.map { String(cString: $0) })
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            if stack.count >= limits.maxDepth {
                return YAMLProblem("nesting is deeper than \(limits.maxDepth) levels", at: mark)
            }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor: UnsafeMutablePointer<yaml_char_t>?
            let tag: UnsafeMutablePointer<yaml_char_t>?
            if isMapping {
                anchor = event.data.mapping_start.anchor
                tag = event.data.mapping_start.tag
            } else {
                anchor = event.data.sequence_start.anchor
                tag = event.data.sequence_start.tag
            }
            expanded += 1
            stack.append(Frame(mark: mark, anchor: anchor.map { String(cString: $0) },
                               tag: tag.map { String(cString: $0) }, isMapping: isMapping,
                               start: isMapping ? pairScratch.count : itemScratch.count))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let node: Node
            if frame.isMapping {
                let pairs = pairScratch.take(from: frame.start)
                node = Node(.mapping(frame.hasMergeKey ? merged(pairs) : pairs), mark: frame.mark, tag: frame.tag)
            } else {
                node = Node(.sequence(itemScratch.take(from: frame.start)), mark: frame.mark, tag: frame.tag)
            }
            return add(node, weight: frame.weight, anchor: frame.anchor)
        default:
            break
        }
        return nil
    }

    /// Adds a finished node to the collection being built, or makes it the document's root.
    /// `node` is taken over, not copied: the composer builds each node to hand it on here.
    mutating func add(_ node: consuming Node, weight: Int, anchor: String?) -> YAMLProblem? {
        if let anchor { anchors[anchor] = (copy node, weight) }
        guard !stack.isEmpty else {
            root = node
            return nil
        }
        let top = stack.count - 1
        stack[top].weight += weight
        if !stack[top].isMapping {
            if let observer, top == 1, stack[0].isMapping, let key = stack[0].pendingKey?.scalar {
                itemScratch.append(copy node)
                observer.rootSequenceItem(key: key, sequence: stack[1].mark, index: itemScratch.count - 1 - stack[1].start, item: node)
            } else {
                itemScratch.append(node)
            }
            return nil
        }
        guard let key = stack[top].pendingKey.take() else {
            stack[top].pendingKey = node
            return nil
        }
        let isMerge = Composer.isMergeKey(key)
        if isMerge { stack[top].hasMergeKey = true }
        let text = isMerge ? nil : key.scalar
        if let text {
            if let first = mark(ofKey: text, inFrame: top) {
                problems.append(YAMLProblem(
                    "duplicate key '\(text)'", at: key.mark,
                    note: .init(message: "'\(text)' first defined here", mark: first)))
                return nil
            }
            stack[top].seenKeys?[text] = key.mark
        }
        if let observer, top == 0, let text {
            pairScratch.append(Pair(key: key, value: copy node))
            observer.rootValue(key: text, value: node)
        } else {
            pairScratch.append(Pair(key: key, value: node))
        }
        if stack[top].seenKeys == nil, pairScratch.count - stack[top].start > Frame.searchLimit {
            stack[top].seenKeys = Composer.keyMarks(pairScratch.elements(from: stack[top].start))
        }
        return nil
    }

    /// Where the text key `text` was first written in the open mapping `stack[i]` (merge keys aside).
    func mark(ofKey text: String, inFrame i: Int) -> Mark? {
        if stack[i].seenKeys != nil { return stack[i].seenKeys![text] }
        for p in pairScratch.elements(from: stack[i].start) where p.key.scalar == text && !Composer.isMergeKey(p.key) {
            return p.key.mark
        }
        return nil
    }

    /// Every text key and where it was first written (merge keys aside).
    static func keyMarks(_ pairs: UnsafeBufferPointer<Pair>) -> [String: Mark] {
        var marks: [String: Mark] = [:]
        for p in pairs {
            if let text = p.key.scalar, !Composer.isMergeKey(p.key), marks[text] == nil { marks[text] = p.key.mark }
        }
        return marks
    }

    static func isMergeKey(_ key: Node) -> Bool {
        if case .scalar("<<", .plain) = key.kind, key.tag == nil || key.tag == "tag:yaml.org,2002:merge" { return true }
        return false
    }

    /// Applies merge keys: explicit keys win, then earlier merge sources over later ones.
    mutating func merged(_ pairs: [Pair]) -> [Pair] {
        var result: [Pair] = []
        var present = pairs.withUnsafeBufferPointer(Composer.keyMarks)
        var sources: [Node] = []
        for pair in pairs {
            if Composer.isMergeKey(pair.key) {
                switch pair.value.kind {
                case .mapping: sources.append(pair.value)
                case .sequence(let items):
                    for item in items {
                        if item.mapping != nil {
                            sources.append(item)
                        } else {
                            problems.append(YAMLProblem(
                                "a merge key '<<' takes a mapping or a list of mappings, not \(item.kindDescription)",
                                at: item.mark))
                        }
                    }
                case .scalar:
                    problems.append(YAMLProblem(
                        "a merge key '<<' takes a mapping or a list of mappings, not \(pair.value.kindDescription)",
                        at: pair.value.mark))
                }
            } else {
                result.append(pair)
            }
        }
        for source in sources {
            for pair in source.mapping ?? [] {
                if let text = pair.key.scalar {
                    if present[text] != nil { continue }
                    present[text] = pair.key.mark
                }
                result.append(pair)
            }
        }
        return result
    }

    func libyamlProblem(_ parser: yaml_parser_t) -> YAMLProblem {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown YAML error"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLProblem("out of memory while parsing YAML", at: .start)
        case YAML_READER_ERROR:
            let offset = Int(parser.problem_offset)
            var message = problem.contains("UTF-8") ? "the spec is not valid UTF-8: " + problem : problem
            if parser.problem_value != -1 {
                message += " (byte 0x" + String(UInt8(truncatingIfNeeded: parser.problem_value), radix: 16, uppercase: true)
                    .leftPadded(to: 2) + ")"
            }
            return YAMLProblem(message, at: markOf(offset: offset))
        default:
            let pm = parser.problem_mark
            let mark = Mark(line: Int(pm.line) + 1, column: Int(pm.column) + 1)
            if problem == "found character that cannot start any token", byte(at: mark) == 0x09 {
                return YAMLProblem("found a tab; YAML is indented with spaces only", at: mark)
            }
            var note: YAMLProblem.Note?
            if let context = parser.context {
                let cm = parser.context_mark
                let contextMark = Mark(line: Int(cm.line) + 1, column: Int(cm.column) + 1)
                if contextMark != mark { note = .init(message: String(cString: context), mark: contextMark) }
            }
            return YAMLProblem(problem, at: mark, note: note)
        }
    }

    /// The first byte of the character at a mark.
    func byte(at mark: Mark) -> UInt8? {
        var line = 1, column = 1, i = 0
        while i < input.count {
            let b = input[i]
            if b & 0xC0 == 0x80 { i += 1; continue }
            if line == mark.line && column == mark.column { return b }
            if b == 0x0A {
                line += 1; column = 1
            } else if b == 0x0D {
                if i + 1 < input.count, input[i + 1] == 0x0A { i += 1 }
                line += 1; column = 1
            } else {
                column += 1
            }
            i += 1
        }
        return nil
    }

    /// Line and column of a byte offset, counting characters as libyaml does.
    func markOf(offset: Int) -> Mark {
        var line = 1, column = 1, i = 0
        let end = min(offset, input.count)
        while i < end {
            let b = input[i]
            if b == 0x0A {
                line += 1; column = 1
            } else if b == 0x0D {
                if i + 1 < end, input[i + 1] == 0x0A { i += 1 }
                line += 1; column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return Mark(line: line, column: column)
    }
}

/// A stack of values on one malloc'd buffer, for the elements of the collections being composed.
/// Elements leave it moved, not copied, so they are neither retained nor released on the way.
struct Scratch<Element> {
    private var base: UnsafeMutablePointer<Element>?
    private var capacity = 0
    private(set) var count = 0

    mutating func append(_ element: consuming Element) {
        if count == capacity { grow() }
        (base! + count).initialize(to: element)
        count += 1
    }

    /// The elements from `start` on, in place (valid until the next change).
    func elements(from start: Int) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base.map { $0 + start }, count: count - start)
    }

    /// The elements from `start` on, moved into an array of their exact size.
    mutating func take(from start: Int) -> [Element] {
        let n = count - start
        guard n > 0, let base else { return [] }
        // Made by reserveCapacity and append rather than Array(unsafeUninitializedCapacity:), whose
        // generic entry point looks up the array's type on every call.
        var elements: [Element] = []
        elements.reserveCapacity(n)
        for i in start..<count { elements.append((base + i).move()) }
        count = start
        return elements
    }

    private mutating func grow() {
        let newCapacity = max(64, capacity * 2)
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = bigger
        capacity = newCapacity
    }

    /// Frees the buffer and whatever is still on it (after a failed parse).
    mutating func release() {
        guard let base else { return }
        base.deinitialize(count: count)
        base.deallocate()
        self.base = nil
        capacity = 0
        count = 0
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

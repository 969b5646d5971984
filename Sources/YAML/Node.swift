/// A position in the source text, 1-based in both line and column (columns count characters).
public struct Mark: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The start of the document: where problems that belong to no node are reported.
    public static let start = Mark(line: 1, column: 1)

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written. Scalars keep their text: nothing is typed implicitly.
public enum ScalarStyle: Sendable, Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isPlain: Bool { self == .plain }
}

/// A node of the composed document. Every node knows where it starts.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public var kind: Kind
    public var mark: Mark
    /// An explicit tag such as `!!str`, as written (shorthand expanded by libyaml).
    public var tag: String?

    public init(_ kind: Kind, mark: Mark, tag: String? = nil) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
    }

    public var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    /// Whether this is a scalar of exactly `text` (any style), read in place.
    public func isScalar(_ text: String) -> Bool {
        if case .scalar(let s, _) = kind { return s == text }
        return false
    }

    public var style: ScalarStyle? {
        if case .scalar(_, let s) = kind { return s }
        return nil
    }

    public var sequence: [Node]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// A plain scalar that YAML 1.1/1.2 would read as null (`~`, `null`, or nothing at all).
    public var isNull: Bool {
        guard case .scalar(let s, .plain) = kind, tag == nil else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// What kind of YAML value this is, in words, for diagnostics.
    public var kindDescription: String {
        switch kind {
        case .scalar:
            if isNull { return "null" }
            return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

public struct Pair: Sendable {
    public var key: Node
    public var value: Node

    public init(key: Node, value: Node) {
        self.key = key
        self.value = value
    }
}

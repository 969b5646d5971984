import YAML

/// One finding about a spec, with the position it refers to.
public struct Diagnostic: Sendable, Equatable, Hashable {
    public enum Severity: String, Sendable, Comparable {
        case error, warning, note

        private var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public struct Note: Sendable, Equatable, Hashable {
        public var message: String
        public var mark: Mark

        public init(_ message: String, at mark: Mark) {
            self.message = message
            self.mark = mark
        }
    }

    public var severity: Severity
    public var message: String
    public var mark: Mark
    public var notes: [Note]

    public init(_ severity: Severity, _ message: String, at mark: Mark, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.mark = mark
        self.notes = notes
    }

    public static func error(_ message: String, at mark: Mark, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, message, at: mark, notes: notes)
    }

    public static func warning(_ message: String, at mark: Mark, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: mark, notes: notes)
    }
}


extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by position (stable for equal positions), with exact repeats removed: a problem in
    /// `defaults` is found once per repository but reported once.
    public func normalized() -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            if a.element.mark != b.element.mark { return a.element.mark < b.element.mark }
            return a.offset < b.offset
        }.map(\.element)
    }
}

extension YAMLProblem {
    public var diagnostic: Diagnostic {
        .error(message, at: mark, notes: note.map { [Diagnostic.Note($0.message, at: $0.mark)] } ?? [])
    }
}

/// A problem found while reading YAML: a message at a mark, and optionally a note at a second mark
/// (libyaml's context, or the first of two duplicate keys).
public struct YAMLProblem: Sendable, Equatable {
    public var message: String
    public var mark: Mark
    public var note: Note?

    public struct Note: Sendable, Equatable {
        public var message: String
        public var mark: Mark
    }

    public init(_ message: String, at mark: Mark, note: Note? = nil) {
        self.message = message
        self.mark = mark
        self.note = note
    }
}

/// Every problem found in one document; parsing stops at the first fatal one.
public struct YAMLError: Error, Sendable {
    public var problems: [YAMLProblem]

    public init(_ problems: [YAMLProblem]) {
        self.problems = problems
    }
}

import YAML

/// Collects the diagnostics of one load.
final class Findings {
    var diagnostics: [Diagnostic] = []

    func error(_ message: String, at mark: Mark, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(message, at: mark, notes: notes))
    }

    func warning(_ message: String, at mark: Mark, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.warning(message, at: mark, notes: notes))
    }
}

/// Reads the keys of one mapping against the single list of keys that mapping may hold.
///
/// Unknown keys are reported with a did-you-mean drawn from that list; every typed accessor
/// reports a wrong type at the value's position and returns nil.
struct Fields {
    let node: Node
    let findings: Findings
    /// The mapping's pairs: the node's own list, not a copy.
    private let mapping: [Pair]
    /// For each known key, in written order (mappings are small: a list is faster to search than a
    /// table): its text, its length in bytes, which tells most keys apart before their text is
    /// compared, and where its pair is in `mapping`. One list, made once per mapping.
    private var entries: [Entry] = []

    private struct Entry {
        var key: String
        var length: Int
        var slot: Int
    }

    /// Reads `node` as a mapping whose keys must be among `known`; `what` names it in messages
    /// ("a repository", "stack").
    init?(_ node: Node, known: [String], what: String, findings: Findings) {
        self.node = node
        self.findings = findings
        guard let mapping = node.mapping else {
            findings.error("\(what) must be a mapping, got \(node.kindDescription)", at: node.mark)
            return nil
        }
        self.mapping = mapping
        entries.reserveCapacity(mapping.count)
        for slot in mapping.indices {
            guard let key = mapping[slot].key.scalar else {
                findings.error("keys must be text, got \(mapping[slot].key.kindDescription)", at: mapping[slot].key.mark)
                continue
            }
            let length = key.utf8.count
            guard known.contains(where: { $0.utf8.count == length && $0 == key }) else {
                findings.error(Fields.unknownKey(key, in: what, known: known), at: mapping[slot].key.mark)
                continue
            }
            entries.append(Entry(key: key, length: length, slot: slot))
        }
    }

    /// Where `key`'s pair is in `mapping`.
    private func index(_ key: String) -> Int? {
        let length = key.utf8.count
        for i in entries.indices where entries[i].length == length && entries[i].key == key { return entries[i].slot }
        return nil
    }

    static func unknownKey(_ key: String, in what: String, known: [String]) -> String {
        var message = "unknown key '\(key)' in \(what)"
        if let hint = suggestion(for: key, among: known) {
            message += "; did you mean '\(hint)'?"
        } else {
            message += "; expected one of " + known.map { "'\($0)'" }.joined(separator: ", ")
        }
        return message
    }

    func has(_ key: String) -> Bool { index(key) != nil }

    func value(_ key: String) -> Node? { index(key).map { mapping[$0].value } }

    func keyMark(_ key: String) -> Mark? { index(key).map { mapping[$0].key.mark } }

    /// A required key that is absent is reported at the mapping.
    func require(_ key: String, what: String) -> Node? {
        guard let v = value(key) else {
            findings.error("\(what) needs '\(key)'", at: node.mark)
            return nil
        }
        return v
    }

    func string(_ key: String) -> Located<String>? {
        guard let v = value(key) else { return nil }
        return Fields.string(v, key: key, findings: findings)
    }

    static func string(_ v: Node, key: String, findings: Findings) -> Located<String>? {
        guard let s = v.scalar, !v.isNull else {
            findings.error("'\(key)' must be a string, got \(v.kindDescription)", at: v.mark)
            return nil
        }
        return Located(s, at: v.mark)
    }

    func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .scalar(let s, .plain) = v.kind, v.tag == nil || v.tag == "tag:yaml.org,2002:bool", s == "true" || s == "false" else {
            findings.error("'\(key)' must be true or false, got \(Fields.shown(v))", at: v.mark)
            return nil
        }
        return s == "true"
    }

    func int(_ key: String, min: Int, max: Int = Int.max) -> Located<Int>? {
        guard let v = value(key) else { return nil }
        return Fields.int(v, key: key, min: min, max: max, findings: findings)
    }

    static func int(_ v: Node, key: String, min: Int, max: Int = Int.max, findings: Findings) -> Located<Int>? {
        var range: String { max == Int.max ? ">= \(min)" : "from \(min) to \(max)" }
        guard case .scalar(let s, .plain) = v.kind, v.tag == nil || v.tag == "tag:yaml.org,2002:int", !s.isEmpty,
              s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) || (s.hasPrefix("-") && s.count > 1 && s.dropFirst().utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }))
        else {
            findings.error("'\(key)' must be an integer \(range), got \(shown(v))", at: v.mark)
            return nil
        }
        guard let n = Int(s), n >= min, n <= max else {
            findings.error("'\(key)' must be an integer \(range), got \(s)", at: v.mark)
            return nil
        }
        return Located(n, at: v.mark)
    }

    func list(_ key: String) -> [Node]? {
        guard let v = value(key) else { return nil }
        guard let items = v.sequence else {
            findings.error("'\(key)' must be a list, got \(v.kindDescription)", at: v.mark)
            return nil
        }
        return items
    }

    func stringList(_ key: String) -> [Located<String>]? {
        guard let items = list(key) else { return nil }
        var out: [Located<String>] = []
        var ok = true
        for item in items {
            guard let s = item.scalar, !item.isNull else {
                findings.error("'\(key)' must be a list of strings; this item is \(item.kindDescription)", at: item.mark)
                ok = false
                continue
            }
            out.append(Located(s, at: item.mark))
        }
        return ok ? out : nil
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) -> E? where E.RawValue == String {
        guard let s = string(key) else { return nil }
        if let e = E(rawValue: s.value) { return e }
        let names = E.allCases.map(\.rawValue)
        var message = "'\(key)' must be one of " + names.map { "'\($0)'" }.joined(separator: ", ") + ", got '\(s.value)'"
        if let hint = suggestion(for: s.value, among: names) { message += "; did you mean '\(hint)'?" }
        findings.error(message, at: s.mark)
        return nil
    }

    /// A value as it is quoted in messages.
    static func shown(_ v: Node) -> String {
        switch v.kind {
        case .scalar(let s, let style):
            if v.isNull { return "null" }
            if let tag = v.tag {
                let short = tag.hasPrefix("tag:yaml.org,2002:") ? "!!" + tag.dropFirst("tag:yaml.org,2002:".count) : tag
                return "'\(short) \(s)'"
            }
            return style.isPlain ? "'\(s)'" : "the quoted string '\(s)'"
        default: return v.kindDescription
        }
    }
}

/// The closest known word to a misspelt one, if one is close enough to be what was meant.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let lower = word.lowercased()
    if let same = candidates.first(where: { $0.lowercased() == lower }) { return same }
    if lower.count >= 4 {
        let containing = candidates.filter { $0.lowercased().contains(lower) }
        if let shortest = containing.min(by: { $0.count < $1.count }) { return shortest }
    }
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(lower, c.lowercased())
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (candidate, distance) = best else { return nil }
    let allowed = max(1, min(3, candidate.count / 3))
    return distance <= allowed ? candidate : nil
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    if abs(a.count - b.count) > 8 { return abs(a.count - b.count) }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

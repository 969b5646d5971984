import ECRSpec

/// What the rules of one repository do to a set of images.
public struct PreviewResult: Sendable {
    public struct RuleStats: Sendable, Equatable {
        /// Images the rule's selection matched (its storage class and tags): all protected from lower rules.
        public var matched: Int
        /// Images the count or age test picked out of `matched`, claimed or not.
        public var marked: Int
        /// Images the rule acts on: `marked` minus those a higher-priority rule matched.
        public var actedOn: Int
    }

    /// The rules in evaluation order (ascending priority).
    public var rules: [PlannedRule]
    public var images: [PreviewImage]
    public var now: PreviewTime
    /// Per image: the index in `rules` of the rule that acts on it, or -1.
    public var appliedRule: [Int32]
    public var stats: [RuleStats]
    /// Indices of the images acted on, in output order: rule priority, then push time (oldest first),
    /// then input order.
    public var actedOn: [Int]

    public func rule(of image: Int) -> PlannedRule? {
        let r = appliedRule[image]
        return r < 0 ? nil : rules[Int(r)]
    }

    public var expiringCount: Int { stats.indices.filter { rules[$0].rule.action == .expire }.reduce(0) { $0 + stats[$1].actedOn } }
    public var transitioningCount: Int { stats.indices.filter { rules[$0].rule.action == .archive }.reduce(0) { $0 + stats[$1].actedOn } }
}

/// ECR's lifecycle evaluation, as documented ("Lifecycle policy evaluation rules"):
///
/// 1. Every rule, independently, selects the images of its storage class whose tags match
///    (`Seen(r)`), and applies its count or age test to that whole selection (`Marked(r)`).
/// 2. Rules are then applied lowest priority first: a rule acts on the images it marked unless a
///    higher-priority rule *matched* them (whether or not that rule marked them); an image is acted
///    on by at most one rule.
///
/// Conventions where the documentation is silent (each needed to reproduce its worked examples):
/// "older than N days" is strict (an image exactly N days old is kept); images pushed at the same
/// instant are ordered by their position in the input, the later one being the newer.
public enum LifecycleSimulator {
    public static func simulate(rules unsorted: [PlannedRule], images: [PreviewImage], now: PreviewTime) -> PreviewResult {
        let rules = unsorted.enumerated().sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }.map(\.element)
        let n = images.count
        var applied = [Int32](repeating: -1, count: n)
        var claimed = [Bool](repeating: false, count: n)
        var stats: [PreviewResult.RuleStats] = []

        // Per image, once: what the rules look at.
        let needsPull = rules.contains { if case .maxTimeSinceLastPull = $0.rule.limit { true } else { false } }
        let needsArchive = rules.contains { if case .maxTimeInArchive = $0.rule.limit { true } else { false } }
        var pushKeys: [Int64] = [], pullKeys: [Int64] = [], archiveKeys: [Int64] = []
        var classes: [StorageClass?] = [], tagLists: [[String]] = []
        pushKeys.reserveCapacity(n)
        classes.reserveCapacity(n)
        tagLists.reserveCapacity(n)
        if needsPull { pullKeys.reserveCapacity(n) }
        if needsArchive { archiveKeys.reserveCapacity(n) }
        images.withUnsafeBufferPointer { images in
            for i in 0..<n {
                pushKeys.append(images[i].effectivePushedAt.microseconds)
                classes.append(images[i].storageClass)
                tagLists.append(images[i].tags)
                if needsPull { pullKeys.append(images[i].effectivePulledAt.microseconds) }
                // Never archived (only possible in a hand-written input): never old enough.
                if needsArchive { archiveKeys.append(images[i].lastArchivedAt?.microseconds ?? .max) }
            }
        }

        // The count order, computed once: oldest first by effective push time, ties by input position.
        var byAge: [Int32] = []
        if rules.contains(where: { $0.rule.limit.isCount }) {
            byAge = (0..<Int32(n)).map { $0 }
            byAge.sort { a, b in
                let ka = pushKeys[Int(a)], kb = pushKeys[Int(b)]
                return ka != kb ? ka < kb : a < b
            }
        }

        var seen: [Int32] = []
        seen.reserveCapacity(n)
        var marked: [Int32] = []
        marked.reserveCapacity(n)
        for (r, planned) in rules.enumerated() {
            let rule = planned.rule
            let matcher = TagMatcher(rule)
            let storageClass = rule.effectiveStorageClass
            seen.removeAll(keepingCapacity: true)
            marked.removeAll(keepingCapacity: true)

            func matches(_ i: Int) -> Bool {
                classes[i] == storageClass && matcher.matches(tagLists[i])
            }
            switch rule.limit {
            case .maxImageCount(let keep):
                for i in byAge where matches(Int(i)) { seen.append(i) }
                // Newest first, everything past the first `keep` is marked: in oldest-first order,
                // that is the first `count - keep`.
                marked.append(contentsOf: seen.prefix(max(0, seen.count - keep)))
            case .maxImageAge(let days), .maxTimeSinceLastPull(let days), .maxTimeInArchive(let days):
                // Strictly older than `days`: reference time < now − days.
                let limit = now.microseconds - Int64(days) * PreviewTime.microsecondsPerDay
                let keys: [Int64]
                switch rule.limit {
                case .maxImageAge: keys = pushKeys
                case .maxTimeSinceLastPull: keys = pullKeys
                default: keys = archiveKeys
                }
                for i in 0..<n where matches(i) {
                    seen.append(Int32(i))
                    if keys[i] < limit { marked.append(Int32(i)) }
                }
            }
            var acted = 0
            for i in marked where !claimed[Int(i)] {
                applied[Int(i)] = Int32(r)
                acted += 1
            }
            for i in seen { claimed[Int(i)] = true }
            stats.append(.init(matched: seen.count, marked: marked.count, actedOn: acted))
        }

        var actedOn = (0..<n).filter { applied[$0] >= 0 }
        actedOn.sort { a, b in
            if applied[a] != applied[b] { return applied[a] < applied[b] }
            let pa = images[a].pushedAt, pb = images[b].pushedAt
            return pa != pb ? pa < pb : a < b
        }
        return PreviewResult(rules: rules, images: images, now: now, appliedRule: applied, stats: stats, actedOn: actedOn)
    }
}

/// A rule's tag selection, compiled once.
struct TagMatcher {
    enum Selection {
        case any, untagged
        case prefixes([[UInt8]])
        case patterns([Glob])
    }

    let selection: Selection

    init(_ rule: LifecycleRule) {
        switch rule.tagStatus {
        case .any: selection = .any
        case .untagged: selection = .untagged
        case .tagged:
            if let patterns = rule.tagPatternList {
                selection = .patterns(patterns.map(Glob.init))
            } else {
                selection = .prefixes((rule.tagPrefixList ?? []).map { Array($0.utf8) })
            }
        }
    }

    /// Every entry of the list must match at least one of the image's tags.
    func matches(_ tags: [String]) -> Bool {
        switch selection {
        case .any: return true
        case .untagged: return tags.isEmpty
        case .prefixes(let prefixes):
            if tags.isEmpty { return false }
            return prefixes.allSatisfy { p in tags.contains { withBytes($0) { Glob.hasPrefix($0, p) } } }
        case .patterns(let globs):
            if tags.isEmpty { return false }
            return globs.allSatisfy { g in tags.contains { withBytes($0) { g.matches($0) } } }
        }
    }
}

/// A tag pattern: `*` matches any run of characters (also none), everything else itself; the
/// pattern must match the whole tag.
struct Glob {
    /// The literal pieces between the `*`s; one piece means no `*`.
    let pieces: [[UInt8]]

    init(_ pattern: String) {
        pieces = Array(pattern.utf8).split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
    }

    func matches(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        if pieces.count == 1 { return t.elementsEqual(pieces[0]) }
        let first = pieces[0], last = pieces[pieces.count - 1]
        guard first.count + last.count <= t.count, Self.hasPrefix(t, first) else { return false }
        let end = t.count - last.count
        for k in 0..<last.count where t[end + k] != last[k] { return false }
        // The middle pieces, leftmost match each (optimal for `*`-only patterns).
        var at = first.count
        for piece in pieces[1..<(pieces.count - 1)] where !piece.isEmpty {
            guard let found = Self.find(piece, in: t, from: at, to: end) else { return false }
            at = found + piece.count
        }
        return true
    }

    static func hasPrefix(_ t: UnsafeBufferPointer<UInt8>, _ p: [UInt8]) -> Bool {
        guard p.count <= t.count else { return false }
        for k in 0..<p.count where t[k] != p[k] { return false }
        return true
    }

    static func find(_ piece: [UInt8], in t: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard to - from >= piece.count else { return nil }
        var s = from
        while s + piece.count <= to {
            var k = 0
            while k < piece.count, t[s + k] == piece[k] { k += 1 }
            if k == piece.count { return s }
            s += 1
        }
        return nil
    }
}

@inline(__always)
func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
    return Array(s.utf8).withUnsafeBufferPointer(body)
}

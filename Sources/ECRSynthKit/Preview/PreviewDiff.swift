/// What a rule change does: the images whose outcome differs between two previews over the same images.
public struct PreviewDiff: Sendable {
    public enum Change: String, Sendable, CaseIterable {
        /// Expired after the change, not before (before: kept or archived).
        case newlyExpiring = "NEWLY_EXPIRING"
        /// Archived after the change, kept before.
        case newlyTransitioning = "NEWLY_TRANSITIONING"
        /// Expired before the change, not after (after: kept or archived).
        case noLongerExpiring = "NO_LONGER_EXPIRING"
        /// Archived before the change, kept after.
        case noLongerTransitioning = "NO_LONGER_TRANSITIONING"

        public var label: String {
            switch self {
            case .newlyExpiring: "newly expired"
            case .newlyTransitioning: "newly archived"
            case .noLongerExpiring: "no longer expired"
            case .noLongerTransitioning: "no longer archived"
            }
        }
    }

    public struct Entry: Sendable, Equatable {
        public var image: Int
        public var change: Change
    }

    public var before: PreviewResult
    public var after: PreviewResult
    /// In order: by change (the order of `Change.allCases`), then push time (oldest first), then input order.
    public var entries: [Entry]
    /// Images acted on by both, with the same action but by a rule of another priority.
    public var ruleChangedCount: Int

    public func count(_ change: Change) -> Int { entries.reduce(0) { $0 + ($1.change == change ? 1 : 0) } }

    /// `before` and `after` must be previews of the same images.
    public static func compare(before: PreviewResult, after: PreviewResult) -> PreviewDiff {
        precondition(before.images.count == after.images.count)
        var entries: [Entry] = []
        var ruleChanged = 0
        for i in before.images.indices {
            let b = before.rule(of: i), a = after.rule(of: i)
            let change: Change?
            switch (b?.rule.action, a?.rule.action) {
            case (.expire, .expire):
                change = nil
                if b!.priority != a!.priority { ruleChanged += 1 }
            case (.archive, .archive):
                change = nil
                if b!.priority != a!.priority { ruleChanged += 1 }
            case (_, .expire): change = .newlyExpiring
            case (.expire, _): change = .noLongerExpiring
            case (nil, .archive): change = .newlyTransitioning
            case (.archive, nil): change = .noLongerTransitioning
            case (nil, nil): change = nil
            }
            if let change { entries.append(Entry(image: i, change: change)) }
        }
        let rank = Dictionary(uniqueKeysWithValues: Change.allCases.enumerated().map { ($1, $0) })
        let images = after.images
        entries.sort { x, y in
            if x.change != y.change { return rank[x.change]! < rank[y.change]! }
            let px = images[x.image].pushedAt, py = images[y.image].pushedAt
            return px != py ? px < py : x.image < y.image
        }
        return PreviewDiff(before: before, after: after, entries: entries, ruleChangedCount: ruleChanged)
    }
}

import YAML

/// Decodes lifecycle rules with the CDK's checks (in its order) and ECR's own.
struct LifecycleDecoder {
    let findings: Findings

    static let keys = KeyTables.lifecycleRule.names
    static let limitKeys = ["maxImageCount", "maxImageAge", "maxTimeSinceLastPull", "maxTimeInArchive"]

    func decode(_ items: [Node], listMark: Mark) -> [LifecycleRule] {
        if items.count > 50 {
            findings.error("\(items.count) lifecycle rules; ECR allows at most 50 in one policy", at: listMark)
        }
        var rules: [LifecycleRule] = []
        rules.reserveCapacity(items.count)
        // What each storage class's rules select so far (a policy holds at most 50 rules, so lists
        // are searched): the first 'any' rule, the first 'untagged' rule, and each tag selection
        // (prefixes or patterns, sorted) with its first rule.
        var anyRule: [(StorageClass, Mark)] = []
        var untaggedRule: [(StorageClass, Mark)] = []
        var selections: [(StorageClass, prefixes: Bool, tags: [String], mark: Mark)] = []
        for item in items {
            guard let rule = decodeRule(item) else { continue }
            let cls = rule.effectiveStorageClass
            switch rule.tagStatus {
            case .any:
                if let first = anyRule.first(where: { $0.0 == cls })?.1 {
                    findings.error(
                        "only one lifecycle rule per storage class may have tagStatus 'any'", at: rule.mark,
                        notes: [.init("the first 'any' rule is here", at: first)])
                } else {
                    anyRule.append((cls, rule.mark))
                }
            case .untagged:
                if let first = untaggedRule.first(where: { $0.0 == cls })?.1 {
                    findings.error(
                        "only one lifecycle rule per storage class may select untagged images", at: rule.mark,
                        notes: [.init("the first 'untagged' rule is here", at: first)])
                } else {
                    untaggedRule.append((cls, rule.mark))
                }
            case .tagged:
                let prefixes = rule.tagPrefixList != nil
                let tags = (rule.tagPrefixList ?? rule.tagPatternList ?? []).sorted()
                if let first = selections.first(where: { $0.0 == cls && $0.prefixes == prefixes && $0.tags == tags })?.mark {
                    findings.error(
                        "another rule of the same storage class already selects these tags; ECR requires a unique set per storage class",
                        at: rule.mark, notes: [.init("the same selection is here", at: first)])
                } else {
                    selections.append((cls, prefixes, tags, rule.mark))
                }
            }
            rules.append(rule)
        }
        return rules
    }

    func decodeRule(_ node: Node) -> LifecycleRule? {
        guard let f = Fields(node, known: Self.keys, what: "a lifecycle rule", findings: findings) else { return nil }
        let description = f.string("description")?.value
        let priority = f.int("rulePriority", min: 1)
        let explicitStatus = f.enumeration("tagStatus", TagStatus.self)
        let prefixes = f.stringList("tagPrefixList")
        let patterns = f.stringList("tagPatternList")
        // Which keys are written, looked up once.
        let hasPrefixes = f.has("tagPrefixList"), hasPatterns = f.has("tagPatternList")
        var ok = !(f.has("rulePriority") && priority == nil) && !(f.has("tagStatus") && explicitStatus == nil)
            && !(hasPrefixes && prefixes == nil) && !(hasPatterns && patterns == nil)

        // 1. The CDK's default: tagged when a tag list is present (even an empty one), else any.
        let status = explicitStatus ?? (hasPrefixes || hasPatterns ? .tagged : .any)
        let prefixList = prefixes?.map(\.value)
        let patternList = patterns?.map(\.value)
        // 2.
        if status == .tagged, (prefixList ?? []).isEmpty, (patternList ?? []).isEmpty, explicitStatus != nil || prefixes != nil || patterns != nil {
            findings.error("a rule with tagStatus 'tagged' needs a non-empty 'tagPrefixList' or 'tagPatternList'",
                           at: f.value("tagPrefixList")?.mark ?? f.value("tagPatternList")?.mark ?? f.value("tagStatus")!.mark)
            ok = false
        }
        // 3.
        if status != .tagged, let key = hasPrefixes ? "tagPrefixList" : hasPatterns ? "tagPatternList" : nil {
            findings.error("'\(key)' can only be given with tagStatus 'tagged', not '\(status.rawValue)'", at: f.keyMark(key)!)
            ok = false
        }
        // 4.
        if hasPrefixes, hasPatterns {
            findings.error("a rule takes 'tagPrefixList' or 'tagPatternList', not both", at: f.keyMark("tagPatternList")!,
                           notes: [.init("'tagPrefixList' is here", at: f.keyMark("tagPrefixList")!)])
            ok = false
        }
        // 5.
        for p in patterns ?? [] {
            let stars = p.value.utf8.reduce(0) { $1 == UInt8(ascii: "*") ? $0 + 1 : $0 }
            if stars > 4 {
                findings.error("tag pattern '\(p.value)' has \(stars) wildcards (*); ECR allows at most 4", at: p.mark)
                ok = false
            }
        }
        func rejectEmpty(_ list: [Located<String>]?) {
            for p in list ?? [] where p.value.isEmpty {
                findings.error("a tag prefix or pattern must not be empty", at: p.mark)
                ok = false
            }
        }
        rejectEmpty(prefixes)
        rejectEmpty(patterns)
        // 6. exactly one limit: the first two of the limit keys written (a second is one too many).
        var given: (first: String?, second: String?) = (nil, nil)
        for key in Self.limitKeys where f.has(key) {
            if given.first == nil { given.first = key } else if given.second == nil { given.second = key }
        }
        var limit: LifecycleLimit?
        if given.first == nil {
            findings.error(
                "a lifecycle rule needs one of 'maxImageCount', 'maxImageAge', 'maxTimeSinceLastPull' or 'maxTimeInArchive'",
                at: node.mark)
            ok = false
        } else if let first = given.first, let second = given.second {
            findings.error("a lifecycle rule takes exactly one limit; found '\(first)' and '\(second)'",
                           at: f.keyMark(second)!, notes: [.init("'\(first)' is here", at: f.keyMark(first)!)])
            ok = false
        } else if let key = given.first {
            switch key {
            case "maxImageCount":
                limit = f.int(key, min: 1).map { .maxImageCount($0.value) }
            case "maxImageAge":
                limit = days(f, key).map { .maxImageAge(days: $0) }
            case "maxTimeSinceLastPull":
                limit = days(f, key).map { .maxTimeSinceLastPull(days: $0) }
            default:
                if let d = days(f, key) {
                    if d < 90 {
                        findings.error(
                            "'maxTimeInArchive' must be at least 90 days (ECR keeps archived images 90 days), got \(d)",
                            at: f.value(key)!.mark)
                    } else {
                        limit = .maxTimeInArchive(days: d)
                    }
                }
            }
        }
        let storageClass = f.enumeration("storageClass", StorageClass.self)
        let action = f.enumeration("action", LifecycleAction.self)
        if f.has("storageClass") && storageClass == nil || f.has("action") && action == nil { ok = false }

        // Storage class and action combinations (ECR's rules for archive).
        if let key = given.first, given.second == nil {
            let cls = storageClass ?? .standard
            let act = action ?? .expire
            switch key {
            case "maxTimeSinceLastPull" where act != .archive:
                findings.error("'maxTimeSinceLastPull' works only with 'action: archive'; ECR cannot expire by last pull",
                               at: f.keyMark(key)!)
                ok = false
            case "maxTimeInArchive" where cls != .archive:
                findings.error("'maxTimeInArchive' needs 'storageClass: archive'", at: f.keyMark(key)!)
                ok = false
            case "maxImageCount" where cls == .archive, "maxImageAge" where cls == .archive,
                 "maxTimeSinceLastPull" where cls == .archive:
                findings.error("a rule with 'storageClass: archive' must use 'maxTimeInArchive', not '\(key)'",
                               at: f.value("storageClass")!.mark)
                ok = false
            default: break
            }
            if cls == .archive, act == .archive {
                findings.error("images in the archive can only be expired; use 'action: expire'", at: f.value("action")!.mark)
                ok = false
            }
        }
        guard ok, let limit else { return nil }
        return LifecycleRule(description: description, rulePriority: priority, tagStatus: status,
                             tagPrefixList: prefixList, tagPatternList: patternList, limit: limit,
                             storageClass: storageClass, action: action ?? .expire, mark: node.mark)
    }

    /// A duration in whole days: `30d`, `30 day`, `30 days`, or `{days: 30}`.
    func days(_ f: Fields, _ key: String) -> Int? {
        guard let v = f.value(key) else { return nil }
        let howTo = "write a whole number of days such as '30d', '30 days' or '{days: 30}'"
        if let pairs = v.mapping {
            guard pairs.count == 1, let unit = pairs[0].key.scalar else {
                findings.error("'\(key)' must be a duration; \(howTo)", at: v.mark)
                return nil
            }
            guard unit == "days" else {
                findings.error("'\(key)' must be given in days, not '\(unit)'; \(howTo)", at: pairs[0].key.mark)
                return nil
            }
            return Fields.int(pairs[0].value, key: key, min: 1, findings: findings)?.value
        }
        guard let s = v.scalar, !v.isNull else {
            findings.error("'\(key)' must be a duration, got \(v.kindDescription); \(howTo)", at: v.mark)
            return nil
        }
        // Bytes: digits, spaces, then the unit, with spaces around the whole.
        switch Self.parseDays(s) {
        case .notDays:
            findings.error("'\(key)' must be a whole number of days, got '\(s)'; \(howTo)", at: v.mark)
            return nil
        case .tooSmallOrLarge:
            findings.error("'\(key)' must be at least 1 day, got '\(s)'", at: v.mark)
            return nil
        case .days(let n):
            return n
        }
    }

    enum DaysText: Equatable {
        case days(Int)
        /// Not digits and a unit of days.
        case notDays
        /// Zero days, or more than an `Int` holds.
        case tooSmallOrLarge
    }

    /// `30d`, `30 day`, `30 days` (spaces around the whole and before the unit), read in one pass
    /// over the bytes.
    static func parseDays(_ s: String) -> DaysText {
        var text = s
        return text.withUTF8 { b -> DaysText in
            var start = 0, end = b.count
            while start < end, b[start] == 0x20 { start += 1 }
            while end > start, b[end - 1] == 0x20 { end -= 1 }
            var i = start
            var n = 0, overflow = false
            while i < end, b[i] >= 0x30, b[i] <= 0x39 {
                let (times10, o1) = n.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int(b[i] - 0x30))
                overflow = overflow || o1 || o2
                n = sum
                i += 1
            }
            let digits = i - start
            while i < end, b[i] == 0x20 { i += 1 }
            let unit = UnsafeBufferPointer(rebasing: b[i..<end])
            let isUnit = unit.elementsEqual("d".utf8) || unit.elementsEqual("day".utf8) || unit.elementsEqual("days".utf8)
            guard digits > 0, isUnit else { return .notDays }
            guard !overflow, n >= 1 else { return .tooSmallOrLarge }
            return .days(n)
        }
    }
}

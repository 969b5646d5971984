import ECRSpec
import YAML

/// A lifecycle rule with its final priority.
public struct PlannedRule: Sendable {
    public var rule: LifecycleRule
    public var priority: Int
}

/// Priority assignment and policy text, as the CDK does them.
public enum LifecyclePlanner {
    /// Orders and numbers the rules: rules with an explicit priority keep it (in written order),
    /// the others are numbered from the largest explicit priority + 1 in written order, and the
    /// `any` rules come last (standard, then archive). Problems ECR would reject are returned.
    public static func plan(_ rules: [LifecycleRule]) -> (rules: [PlannedRule], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let prioritized = rules.filter { $0.tagStatus != .any && $0.rulePriority != nil }
        let unprioritized = rules.filter { $0.tagStatus != .any && $0.rulePriority == nil }
        let anyRules = rules.filter { $0.tagStatus == .any && $0.effectiveStorageClass == .standard }
            + rules.filter { $0.tagStatus == .any && $0.effectiveStorageClass == .archive }

        if !unprioritized.isEmpty, let a = anyRules.first(where: { $0.rulePriority != nil }) {
            diagnostics.append(.error(
                "the 'any' rule has a 'rulePriority' but other rules have none; remove 'rulePriority' from the 'any' rule",
                at: a.rulePriority!.mark,
                notes: [.init("this rule has no 'rulePriority'", at: unprioritized[0].mark)]))
        }
        var next = (prioritized.map { $0.rulePriority!.value }.max() ?? 0) + 1
        var planned: [PlannedRule] = prioritized.map { PlannedRule(rule: $0, priority: $0.rulePriority!.value) }
        for r in unprioritized {
            planned.append(PlannedRule(rule: r, priority: next))
            next += 1
        }
        for r in anyRules {
            if let p = r.rulePriority {
                planned.append(PlannedRule(rule: r, priority: p.value))
                next = max(next, p.value + 1)
            } else {
                planned.append(PlannedRule(rule: r, priority: next))
                next += 1
            }
        }

        // The `any` rule of each storage class is evaluated last: it must hold the highest priority
        // of the rules before it.
        for (i, p) in planned.enumerated() where p.rule.tagStatus == .any {
            let before = planned[..<i]
            if let highest = before.max(by: { $0.priority < $1.priority }), highest.priority > p.priority {
                diagnostics.append(.error(
                    "the 'any' rule must have the highest priority, has \(p.priority) which is smaller than \(highest.priority)",
                    at: p.rule.rulePriority?.mark ?? p.rule.mark,
                    notes: [.init("the rule with priority \(highest.priority) is here", at: highest.rule.mark)]))
            }
        }
        var seen: [Int: PlannedRule] = [:]
        for p in planned {
            if let first = seen[p.priority] {
                diagnostics.append(.error(
                    "duplicate rulePriority \(p.priority); ECR requires a unique priority per rule",
                    at: p.rule.rulePriority?.mark ?? p.rule.mark,
                    notes: [.init("priority \(p.priority) is also given to this rule", at: first.rule.mark)]))
            } else {
                seen[p.priority] = p
            }
        }
        return (planned, diagnostics)
    }

    /// `LifecyclePolicyText`: compact JSON in the CDK's key order.
    public static func policyText(_ rules: [PlannedRule]) -> String {
        var text = CompactJSON(capacity: 192 * rules.count + 16)
        text.object { o in
            o.member("rules", array: { a in
                for r in rules { writeRule(r, to: &a) }
            })
        }
        return String(decoding: UnsafeBufferPointer(start: text.out.base, count: text.out.count), as: UTF8.self)
    }

    static func writeRule<S: JSONSink>(_ p: PlannedRule, to s: inout S) {
        let r = p.rule
        s.object { o in
            o.member("rulePriority", int: p.priority)
            if let description = r.description { o.member("description", description) }
            o.member("selection", object: { sel in
                sel.member("tagStatus", r.tagStatus.rawValue)
                if let list = r.tagPrefixList { sel.member("tagPrefixList", array: { a in for t in list { a.string(t) } }) }
                if let list = r.tagPatternList { sel.member("tagPatternList", array: { a in for t in list { a.string(t) } }) }
                // ECR's default, standard, is not written: a rule that says so renders as the CDK renders it.
                if r.storageClass == .archive { sel.member("storageClass", "archive") }
                sel.member("countType", r.limit.countType)
                sel.member("countNumber", int: r.limit.number)
                if !r.limit.isCount { sel.member("countUnit", "days") }
            })
            switch r.action {
            case .expire:
                o.member("action", object: { $0.member("type", "expire") })
            case .archive:
                o.member("action", object: {
                    $0.member("type", "transition")
                    $0.member("targetStorageClass", "archive")
                })
            }
        }
    }
}

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
        // The rules' indices in the order they are numbered (read by index: a rule is not copied to
        // be sorted).
        var prioritized: [Int] = [], unprioritized: [Int] = [], anyStandard: [Int] = [], anyArchive: [Int] = []
        for i in rules.indices {
            if rules[i].tagStatus != .any {
                if rules[i].rulePriority != nil { prioritized.append(i) } else { unprioritized.append(i) }
            } else if rules[i].effectiveStorageClass == .standard {
                anyStandard.append(i)
            } else {
                anyArchive.append(i)
            }
        }
        let anyRules = anyStandard + anyArchive

        if let first = unprioritized.first, let a = anyRules.first(where: { rules[$0].rulePriority != nil }) {
            diagnostics.append(.error(
                "the 'any' rule has a 'rulePriority' but other rules have none; remove 'rulePriority' from the 'any' rule",
                at: rules[a].rulePriority!.mark,
                notes: [.init("this rule has no 'rulePriority'", at: rules[first].mark)]))
        }
        var next = (prioritized.map { rules[$0].rulePriority!.value }.max() ?? 0) + 1
        var planned: [PlannedRule] = []
        planned.reserveCapacity(rules.count)
        for i in prioritized { planned.append(PlannedRule(rule: rules[i], priority: rules[i].rulePriority!.value)) }
        for i in unprioritized {
            planned.append(PlannedRule(rule: rules[i], priority: next))
            next += 1
        }
        for i in anyRules {
            if let p = rules[i].rulePriority {
                planned.append(PlannedRule(rule: rules[i], priority: p.value))
                next = max(next, p.value + 1)
            } else {
                planned.append(PlannedRule(rule: rules[i], priority: next))
                next += 1
            }
        }

        // The `any` rule of each storage class is evaluated last: it must hold the highest priority
        // of the rules before it.
        var highest: Int?  // the index in `planned` of the highest priority so far (the first of equals)
        for i in planned.indices {
            if planned[i].rule.tagStatus == .any, let h = highest, planned[h].priority > planned[i].priority {
                diagnostics.append(.error(
                    "the 'any' rule must have the highest priority, has \(planned[i].priority) which is smaller than \(planned[h].priority)",
                    at: planned[i].rule.rulePriority?.mark ?? planned[i].rule.mark,
                    notes: [.init("the rule with priority \(planned[h].priority) is here", at: planned[h].rule.mark)]))
            }
            if highest == nil || planned[i].priority > planned[highest!].priority { highest = i }
        }
        // A priority given twice (the index of the first rule with each priority).
        var seen = [Int: Int](minimumCapacity: planned.count)
        for i in planned.indices {
            guard let first = seen[planned[i].priority] else {
                seen[planned[i].priority] = i
                continue
            }
            diagnostics.append(.error(
                "duplicate rulePriority \(planned[i].priority); ECR requires a unique priority per rule",
                at: planned[i].rule.rulePriority?.mark ?? planned[i].rule.mark,
                notes: [.init("priority \(planned[i].priority) is also given to this rule", at: planned[first].rule.mark)]))
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
        return text.text
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
                if r.storageClass == .archive { sel.member("storageClass", literal: "archive") }
                sel.member("countType", r.limit.countType)
                sel.member("countNumber", int: r.limit.number)
                if !r.limit.isCount { sel.member("countUnit", literal: "days") }
            })
            switch r.action {
            case .expire:
                o.member("action", object: { $0.member("type", literal: "expire") })
            case .archive:
                o.member("action", object: {
                    $0.member("type", literal: "transition")
                    $0.member("targetStorageClass", literal: "archive")
                })
            }
        }
    }
}

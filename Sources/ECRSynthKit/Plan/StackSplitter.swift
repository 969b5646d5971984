import ECRSpec

/// Splits a plan into stacks that fit CloudFormation's limits, never moving a placed repository.
///
/// Stacks are named `NAME`, `NAME-2`, `NAME-3`, …. A repository stays in the stack the previous
/// manifest records for it; a repository may be pinned with the `stack` key; every other repository
/// goes to the first stack with room, in spec order (so without a manifest, stacks fill in order).
/// A grant's identity policy goes with the repository it names: a principal granted on repositories
/// of two stacks gets a policy in each.
public enum StackSplitter {
    public static let maxResources = 500
    public static let maxOutputs = 200
    public static let maxTemplateBytes = 1_000_000
    /// Room kept below the byte limit for what the estimate leaves out.
    static let byteMargin = 50_000

    public static func stackName(_ base: String, index: Int) -> String {
        index == 0 ? base : "\(base)-\(index + 1)"
    }

    static func index(of name: String, base: String) -> Int? {
        if name == base { return 0 }
        guard name.hasPrefix(base + "-"), let n = Int(name.dropFirst(base.count + 1)), n >= 2 else { return nil }
        return n - 1
    }

    struct Cost {
        var resources = 0
        var outputs = 0
        var bytes = 0
        var principals = Set<Int>()

        func adding(_ c: Cost) -> Cost {
            var sum = self
            sum.add(c)
            return sum
        }

        mutating func add(_ c: Cost) {
            resources += c.resources
            outputs += c.outputs
            bytes += c.bytes
            for p in c.principals where principals.insert(p).inserted {
                resources += 1
                bytes += 400
            }
        }

        /// Whether `c` fits on top of this load, without building the sum.
        func fits(adding c: Cost) -> Bool {
            // A full stack is refused before its principals are looked at.
            guard resources + c.resources <= maxResources, outputs + c.outputs <= maxOutputs,
                  bytes + c.bytes <= maxTemplateBytes - byteMargin else { return false }
            let newPrincipals = c.principals.reduce(0) { $0 + (principals.contains($1) ? 0 : 1) }
            return resources + c.resources + newPrincipals <= maxResources && outputs + c.outputs <= maxOutputs
                && bytes + c.bytes + 400 * newPrincipals <= maxTemplateBytes - byteMargin
        }

        var fits: Bool {
            resources <= maxResources && outputs <= maxOutputs && bytes <= maxTemplateBytes - byteMargin
        }
    }

    /// `previous` maps repository ids to the stack names the last manifest recorded.
    public static func split(_ plan: Plan, previous: [String: String] = [:]) -> (stacks: [Plan], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let base = plan.stackName
        var principalsOf = [Set<Int>](repeating: [], count: plan.repositories.count)
        var identityStatements = [Int](repeating: 0, count: plan.repositories.count)
        for (p, policy) in plan.principalPolicies.enumerated() {
            for case let r? in policy.origins {
                principalsOf[r].insert(p)
                identityStatements[r] += 1
            }
        }
        let costs: [Cost] = Parallel.map(plan.repositories.count) { [principalsOf, identityStatements] i in
            let r = plan.repositories[i]
            var c = Cost()
            c.resources = 1 + r.events.count + r.events.reduce(0) {
                $0 + $1.targets.filter { $0.permissionLogicalID != nil }.count + ($1.eventsRole == nil ? 0 : 2)
            }
            c.outputs = 3
            c.bytes = r.renderedResources.count + r.renderedOutputs.count + 2 + 300 * identityStatements[i]
            c.principals = principalsOf[i]
            return c
        }

        var assigned = [Int](repeating: -1, count: plan.repositories.count)
        var load: [Cost] = []
        func ensure(_ s: Int) { while load.count <= s { load.append(Cost()) } }
        ensure(0)
        for name in previous.values { if let s = index(of: name, base: base) { ensure(s) } }

        // Placed and pinned repositories first: they never move.
        for (i, r) in plan.repositories.enumerated() {
            // Most repositories are neither placed nor pinned: told without copying the repository.
            if previous.isEmpty && r.repository.stack == nil { continue }
            let repo = r.repository
            let was = previous[repo.id.value].flatMap { index(of: $0, base: base) }
            let pinned = repo.stack.flatMap { index(of: $0.value, base: base) }
            if let was, let pinned, was != pinned, let pin = repo.stack {
                diagnostics.append(.error(
                    "repository '\(repo.id.value)' lives in stack '\(stackName(base, index: was))' (manifest.json); moving it to '\(pin.value)' would delete and recreate it",
                    at: pin.mark))
            }
            guard let s = was ?? pinned else { continue }
            ensure(s)
            assigned[i] = s
            load[s].add(costs[i])
        }
        // The first stack with room, in order. A stack that cannot take even the smallest repository
        // (loads only grow) is closed for good: the search starts past the closed ones.
        var smallest = costs.first ?? Cost()
        for c in costs {
            smallest.resources = min(smallest.resources, c.resources)
            smallest.outputs = min(smallest.outputs, c.outputs)
            smallest.bytes = min(smallest.bytes, c.bytes)
        }
        smallest.principals = []
        var firstOpen = 0
        for (i, _) in plan.repositories.enumerated() where assigned[i] < 0 {
            while firstOpen < load.count, load[firstOpen].resources + load[firstOpen].outputs > 0,
                  !load[firstOpen].fits(adding: smallest) { firstOpen += 1 }
            var s = firstOpen
            while true {
                ensure(s)
                if load[s].fits(adding: costs[i]) || (load[s].resources == 0 && load[s].outputs == 0) { break }
                s += 1
            }
            assigned[i] = s
            load[s].add(costs[i])
        }
        for (s, l) in load.enumerated() where !l.fits {
            guard let first = assigned.firstIndex(of: s) else { continue }
            let repo = plan.repositories[first].repository
            diagnostics.append(.error(
                "stack '\(stackName(base, index: s))' would hold \(l.resources) resources and \(l.outputs) outputs (about \(l.bytes) bytes); CloudFormation allows 500 resources, 200 outputs and 1,000,000 bytes: pin fewer repositories to it",
                at: repo.stack?.mark ?? repo.mark))
        }

        let count = max(1, (assigned.max() ?? 0) + 1)
        var members = [[Int]](repeating: [], count: count)
        for (i, s) in assigned.enumerated() { members[s].append(i) }
        // Each principal's statements about each stack's repositories, in one pass; its token
        // statements go to the stack of its first repository statement (or the first stack).
        var statementsIn = [[(policy: Int, statement: Int)]](repeating: [], count: count)
        for (p, policy) in plan.principalPolicies.enumerated() {
            let home = policy.origins.lazy.compactMap { $0 }.first.map { assigned[$0] } ?? 0
            for (st, origin) in policy.origins.enumerated() {
                statementsIn[origin.map { assigned[$0] } ?? home].append((p, st))
            }
        }
        let stacks = Parallel.map(count, minimumPerThread: 4) { [members, statementsIn] s in
            subPlan(plan, stack: s, members: members[s], statements: statementsIn[s], whole: count == 1)
        }
        return (stacks, diagnostics)
    }

    /// The part of `plan` in stack `s`: the repositories `members` (indices into the plan, in order)
    /// and the principal policy statements `statements` (policy and statement indices, in order).
    static func subPlan(_ plan: Plan, stack s: Int, members: [Int], statements: [(policy: Int, statement: Int)],
                        whole: Bool) -> Plan {
        var sub = plan
        sub.stackIndex = s
        sub.stackName = stackName(plan.stackName, index: s)
        if whole { return sub }
        var newIndex: [Int: Int] = [:]
        for (n, i) in members.enumerated() { newIndex[i] = n }
        sub.repositories = members.map { plan.repositories[$0] }
        if s > 0 {
            sub.identityPolicies = []
            sub.externalPolicies = []
            sub.targetPolicies = []
        }

        var policies: [PrincipalPolicy] = []
        var policyOf: [Int: Int] = [:]
        var firstUse: [Int: [Int]] = [:]
        var tokenOnly: [Int] = []
        for (p, st) in statements {
            let k: Int
            if let existing = policyOf[p] {
                k = existing
            } else {
                let policy = plan.principalPolicies[p]
                var kept = policy
                kept.statements = []
                kept.origins = []
                if s != plan.stackIndex {
                    let (logicalID, name) = Planner.policyIDs(stack: sub.stackName, principal: policy.principal)
                    kept.logicalID = logicalID
                    kept.policyName = name
                    if case .user = policy.principal { kept.policyName = String((sub.stackName + "-" + name).suffix(128)) }
                }
                policies.append(kept)
                k = policies.count - 1
                policyOf[p] = k
            }
            policies[k].statements.append(plan.principalPolicies[p].statements[st])
            policies[k].origins.append(plan.principalPolicies[p].origins[st].map { newIndex[$0]! })
        }
        // A policy comes after the repository it is first used for, in the order the policies were
        // created; a policy with token statements only comes last.
        let created = policyOf.sorted { $0.key < $1.key }.map(\.value)
        var ordered: [PrincipalPolicy] = []
        for k in created { ordered.append(policies[k]) }
        for (n, policy) in ordered.enumerated() {
            if let first = policy.origins.lazy.compactMap({ $0 }).first {
                firstUse[first, default: []].append(n)
            } else {
                tokenOnly.append(n)
            }
        }
        sub.principalPolicies = ordered
        var order: [Plan.Slot] = []
        for n in sub.repositories.indices {
            order.append(.repository(n))
            for use in firstUse[n] ?? [] { order.append(.principalPolicy(use)) }
        }
        order += tokenOnly.map { .principalPolicy($0) }
        sub.order = order
        return sub
    }
}

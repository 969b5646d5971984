import ECRSpec

/// The IAM documents written under `policies/`: standalone JSON a reviewer or another account's
/// owner can read and attach, with concrete ARNs where the spec names them.
public enum PolicyFiles {
    public static func files(_ stacks: [Plan]) -> [(path: String, json: JSONValue)] {
        // What each file holds, in file order; minimising and resolving them runs in parallel.
        var jobs: [(path: String, statements: [Statement], minimized: Bool, resolve: Bool)] = []
        // One file per principal, with what it may do in every stack.
        for p in stacks.first?.identityPolicies ?? [] {
            let stem = PrincipalPolicy(principal: p.principal, logicalID: "", policyName: "", statements: []).fileStem
            jobs.append(("policies/\(safeFileName(stem)).json", p.statements, true, false))
        }
        for plan in stacks {
            for r in plan.repositories where !r.repositoryPolicy.isEmpty {
                jobs.append(("policies/repository-\(safeFileName(r.id)).json", r.repositoryPolicy, true, true))
            }
        }
        let first = stacks.first
        for e in first?.externalPolicies ?? [] {
            jobs.append(("policies/cross-account/\(safeFileName(e.fileStem)).json", e.statements, false, false))
        }
        for t in first?.targetPolicies ?? [] {
            jobs.append(("policies/targets/\(safeFileName(t.fileStem)).json", t.statements, false, false))
        }
        return Parallel.map(jobs.count) { [jobs] i in
            let job = jobs[i]
            let minimized = job.minimized ? job.statements : minimize(job.statements)
            return (job.path, document(job.resolve ? minimized.map(resolved) : minimized))
        }
    }

    /// A repository policy statement of a file: `${…}` placeholders for intrinsics in principals. (Its
    /// resources are the spec's own strings; identity policies come with repository ARNs already.)
    static func resolved(_ s: Statement) -> Statement {
        var s = s
        s.principals = s.principals.map { unit in
            var unit = unit
            unit.fragment = unit.fragment.map { ($0.0, $0.1.map(fileValue)) }
            return unit
        }
        return s
    }

    static func document(_ statements: [Statement]) -> JSONValue {
        .object([("Version", .string("2012-10-17")), ("Statement", .array(statements.map(\.documentJSON)))])
    }

    /// A CloudFormation intrinsic in a principal becomes the `${…}` placeholder it stands for.
    static func fileValue(_ v: JSONValue) -> JSONValue {
        if case .object(let pairs) = v, pairs.first?.0 == "Fn::Join", case .array(let args) = pairs[0].1,
           args.count == 2, case .array(let parts) = args[1] {
            var s = ""
            for part in parts {
                if let text = part.stringValue {
                    s += text
                } else if case .object(let ref) = part, ref.first?.0 == "Ref", let name = ref[0].1.stringValue {
                    s += "${\(name)}"
                }
            }
            return .string(s)
        }
        return v
    }
}

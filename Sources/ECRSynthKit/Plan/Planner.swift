import ECRSpec
import YAML

/// Spec → Plan. Returns the problems only a plan shows (priorities, policy size, limits).
public enum Planner {
    /// `ecr:GetAuthorizationToken` on `*`, which every pull or push grant to a principal brings along.
    static let tokenStatement = Statement(actions: ["ecr:GetAuthorizationToken"], resources: [.string("*")])

    /// One repository's plan, its diagnostics, and the statement each grant to a role or user adds
    /// to that principal's policy: all of planning that concerns the repository alone.
    public final class RepositoryParts: @unchecked Sendable {
        let plan: RepositoryPlan
        let diagnostics: [Diagnostic]
        let identity: [Statement?]
        /// The event targets whose own policy must let EventBridge deliver (a statement for each,
        /// gathered into the target policy files), in the order of the plan's events and targets.
        let deliveries: [(target: TargetARN, statement: Statement)]

        init(plan: RepositoryPlan, diagnostics: [Diagnostic], identity: [Statement?],
             deliveries: [(target: TargetARN, statement: Statement)]) {
            self.plan = plan
            self.diagnostics = diagnostics
            self.identity = identity
            self.deliveries = deliveries
        }
    }

    /// Plans repositories of `stack` one at a time, each on its own (see `RepositoryParts`).
    public static func repositoryPlanner(stack: StackSpec) -> @Sendable (Repository) -> RepositoryParts {
        let stackTags = sortedTags(stack.tags)
        return { repo in
            let (plan, diagnostics) = planRepository(repo, stack: stack.name.value, env: stack.env, stackTags: stackTags,
                                                     specTags: stack.tags)
            let arn = JSONValue.getAtt(plan.logicalID, "Arn")
            let identity = plan.repository.grants.map { grant -> Statement? in
                switch grant.principal.value {
                case .role, .user: Statement(actions: grantActions(grant.access).actions, resources: [arn])
                default: nil
                }
            }
            var deliveries: [(target: TargetARN, statement: Statement)] = []
            for event in plan.events {
                for t in event.targets {
                    let target = t.target
                    let crossAccountBus = target.service == .eventBus && stack.env != nil && target.account != stack.env?.account
                    guard (target.service != .eventBus && t.permissionLogicalID == nil) || crossAccountBus else { continue }
                    deliveries.append((target, deliveryStatement(to: target, stack: stack.name.value, env: stack.env)))
                }
            }
            return RepositoryParts(plan: plan, diagnostics: diagnostics, identity: identity, deliveries: deliveries)
        }
    }

    /// Plans `spec`. `early` holds the parts of its repositories, in order, when they were planned
    /// already (while the spec was parsed).
    public static func plan(_ spec: Spec, early: [RepositoryParts]? = nil) -> (plan: Plan, diagnostics: [Diagnostic]) {
        let stackName = spec.stack.name.value
        let env = spec.stack.env
        // What concerns one repository alone is planned in parallel (or was already); what
        // repositories share (the identity policies of principals, cross-account and target policy
        // files) in spec order.
        let parts: [RepositoryParts]
        if let early, early.count == spec.repositories.count {
            parts = early
        } else {
            let planner = repositoryPlanner(stack: spec.stack)
            parts = Parallel.map(spec.repositories.count) { i in planner(spec.repositories[i]) }
        }
        var diagnostics: [Diagnostic] = []
        var repos: [RepositoryPlan] = []
        repos.reserveCapacity(parts.count)
        var policies: [PrincipalPolicy] = []
        var policyIndex: [Principal: Int] = [:]
        var order: [Plan.Slot] = []
        var external: [ExternalPolicy] = []
        var externalIndex: [Principal: Int] = [:]
        var targetPolicies: [TargetPolicy] = []
        var targetIndex: [String: Int] = [:]

        func principalPolicy(_ p: Principal, at mark: Mark) -> Int {
            if let i = policyIndex[p] { return i }
            // Named below, all at once in parallel.
            policies.append(PrincipalPolicy(principal: p, logicalID: "", policyName: "", statements: [], firstMark: mark))
            policyIndex[p] = policies.count - 1
            order.append(.principalPolicy(policies.count - 1))
            return policies.count - 1
        }

        func addExternal(_ p: Principal, account: String, stem: String, actions: [String], token: Bool, arn: String) {
            let i: Int
            if let existing = externalIndex[p] {
                i = existing
            } else {
                external.append(ExternalPolicy(principal: p, account: account, fileStem: stem, statements: []))
                i = external.count - 1
                externalIndex[p] = i
            }
            external[i].statements.append(Statement(actions: actions, resources: [.string(arn)]))
            if token {
                external[i].statements.append(tokenStatement)
            }
        }

        for part in parts {
            let plan = part.plan, identity = part.identity
            diagnostics += part.diagnostics
            order.append(.repository(repos.count))
            for (target, statement) in part.deliveries {
                if let i = targetIndex[target.arn] {
                    targetPolicies[i].statements.append(statement)
                } else {
                    let stem = "\(target.service.rawValue)-\(target.region)-\(target.account)-\(target.name)"
                    targetIndex[target.arn] = targetPolicies.count
                    targetPolicies.append(TargetPolicy(target: target, fileStem: stem, statements: [statement]))
                }
            }
            for (g, grant) in plan.repository.grants.enumerated() {
                let (actions, token) = grantActions(grant.access)
                switch grant.principal.value {
                case .role, .user:
                    let i = principalPolicy(grant.principal.value, at: grant.principal.mark)
                    policies[i].statements.append(identity[g]!)
                    policies[i].origins.append(repos.count)
                    if token {
                        policies[i].statements.append(tokenStatement)
                        policies[i].origins.append(nil)
                    }
                case .arn(let a):
                    let account = String(colonFields(a)[4])
                    if account != env?.account {
                        let resource = colonFields(a, maxSplits: 5)[5]
                        let stem = "\(account)-" + safeFileName(String(resource))
                        addExternal(grant.principal.value, account: account, stem: stem, actions: actions, token: token, arn: plan.arnForFiles)
                    }
                case .account(let a):
                    if a != env?.account {
                        addExternal(grant.principal.value, account: a, stem: "\(a)-account", actions: actions, token: token, arn: plan.arnForFiles)
                    }
                case .service:
                    break
                }
            }
            repos.append(plan)
        }
        // Freed object by object, the parts (their statements and diagnostics) would take the main
        // thread a few milliseconds at 10,000 repositories; a command-line run leaves them to the exit.
        ExitParking.park(parts)
        for reader in spec.authorizationTokenReaders {
            switch reader.value {
            case .role, .user:
                let i = principalPolicy(reader.value, at: reader.mark)
                policies[i].statements.append(tokenStatement)
                policies[i].origins.append(nil)
            default:
                break
            }
        }

        let names = Parallel.map(policies.count, minimumPerThread: 64) { [policies] i in
            policyIDs(stack: stackName, principal: policies[i].principal)
        }
        for (i, (logicalID, name)) in names.enumerated() {
            policies[i].logicalID = logicalID
            policies[i].policyName = name
        }
        let identity = identityPolicies(policies, repos: repos)
        diagnostics += inlinePolicySizes(identity, policies: policies, repos: repos)
        var plan = Plan(stackName: stackName, description: spec.stack.description, env: env, repositories: repos,
                        principalPolicies: policies, order: order, externalPolicies: external, targetPolicies: targetPolicies)
        plan.identityPolicies = identity
        return (plan, diagnostics)
    }

    /// Everything about one repository that depends on nothing else in the spec: logical IDs,
    /// lifecycle priorities and text, tags, event rules and targets, the repository policy.
    static func planRepository(_ repo: Repository, stack stackName: String, env: Environment?, stackTags: [Tag],
                               specTags: [Tag]) -> (RepositoryPlan, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let logicalID = LogicalID.make([repo.id.value, "Resource"])
        let (lifecycle, lifecycleDiagnostics) = LifecyclePlanner.plan(repo.lifecycleRules)
        diagnostics += lifecycleDiagnostics
        var lifecycleText: String?
        if !lifecycle.isEmpty {
            let text = LifecyclePlanner.policyText(lifecycle)
            // A character takes at least one byte: only a text of more bytes than that can be too long.
            if text.utf8.count > 30_720, case let length = text.characterCount, length > 30_720 {
                diagnostics.append(.error(
                    "the lifecycle policy of repository '\(repo.id.value)' is \(length) characters; ECR allows at most 30720",
                    at: repo.lifecycleRules[0].mark))
            }
            lifecycleText = text
        }
        var events: [EventPlan] = []
        for rule in repo.eventRules {
            var event = EventPlan(rule: rule, logicalID: LogicalID.make([repo.id.value, rule.id.value, "Resource"]), targets: [],
                                  eventsRole: nil)
            for (k, t) in rule.targets.enumerated() {
                let target = t.value
                var permission: String?
                if target.service == .lambda, let env, env.account == target.account {
                    let unique = LogicalID.uniqueID(stack: stackName, ["\(repo.id.value)\(rule.id.value)Target\(k)"])
                    permission = LogicalID.make([repo.id.value, rule.id.value, "AllowEventRule\(unique)"])
                }
                event.targets.append(TargetPlan(target: target, targetID: "Target\(k)", usesEventsRole: target.service == .eventBus,
                                                permissionLogicalID: permission))
                if target.service == .eventBus {
                    if event.eventsRole == nil {
                        event.eventsRole = EventsRole(
                            roleLogicalID: LogicalID.make([repo.id.value, rule.id.value, "EventsRole", "Resource"]),
                            policyLogicalID: LogicalID.make([repo.id.value, rule.id.value, "EventsRole", "DefaultPolicy", "Resource"]),
                            buses: [], afterTarget: k)
                    }
                    event.eventsRole!.buses.append(target.arn)
                }
            }
            events.append(event)
        }

        var statements: [Statement] = []
        var accountInstances = 0
        for grant in repo.grants {
            let (actions, _) = grantActions(grant.access)
            switch grant.principal.value {
            case .role, .user: break
            case .arn(let a): statements.append(Statement(actions: actions, principals: [.arn(a)]))
            case .account(let a):
                statements.append(Statement(actions: actions, principals: [.account(accountRoot(a, env: env), instance: accountInstances)]))
                accountInstances += 1
            case .service(let s): statements.append(Statement(actions: actions, principals: [.service(s)]))
            }
        }
        statements += repo.resourcePolicy.map { Statement(json: $0.value) }
        let policy = minimize(statements)
        if !policy.isEmpty {
            let length = compactPolicyText(policy).characterCount
            if length > 10_240 {
                diagnostics.append(.error(
                    "the repository policy of '\(repo.id.value)' is \(length) characters; ECR allows at most 10240",
                    at: repo.grants.first?.mark ?? repo.resourcePolicy.first?.mark ?? repo.mark))
            }
        }
        let plan = RepositoryPlan(repository: repo, logicalID: logicalID, lifecycle: lifecycle, lifecyclePolicyText: lifecycleText,
                                  tags: repo.tags.isEmpty ? stackTags : mergedTags(stack: specTags, repo.tags), events: events,
                                  repositoryPolicy: policy, arnForFiles: repositoryARN(repo, logicalID: logicalID, env: env))
        TemplateRenderer.prerender(plan)
        return (plan, diagnostics)
    }

    /// Each principal's statements, minimised, with repository ARNs in place of `Fn::GetAtt`s.
    static func identityPolicies(_ policies: [PrincipalPolicy], repos: [RepositoryPlan]) -> [IdentityPolicy] {
        var arns: [String: String] = [:]
        for r in repos { arns[r.logicalID] = r.arnForFiles }
        return Parallel.map(policies.count, minimumPerThread: 4) { [arns] i in
            let statements = minimize(policies[i].statements).map { s in
                s.mapResources { v in
                    if case .object(let pairs) = v, pairs.first?.0 == "Fn::GetAtt", case .array(let parts) = pairs[0].1,
                       let id = parts.first?.stringValue, let arn = arns[id] { return .string(arn) }
                    return v
                }
            }
            return IdentityPolicy(principal: policies[i].principal, statements: statements,
                                  size: compactPolicyText(statements).characterCount)
        }
    }

    /// IAM limits the inline policies of a role to 10,240 characters and of a user to 2,048
    /// (whitespace not counted); the policy ecrsynth writes for one principal must fit.
    static func inlinePolicySizes(_ identity: [IdentityPolicy], policies: [PrincipalPolicy], repos: [RepositoryPlan]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (p, file) in zip(policies, identity) {
            let limit: Int
            let what: String
            let name: String
            switch p.principal {
            case .role(let n): (limit, what, name) = (10_240, "role", n)
            case .user(let n): (limit, what, name) = (2_048, "user", n)
            default: continue
            }
            let size = file.size
            guard size > limit else { continue }
            let placeholders = repos.contains { $0.arnForFiles.contains("${") }
            let estimate = placeholders ? "about " : ""
            let message = "the policy ecrsynth writes for \(what) '\(name)' is \(estimate)\(size) characters; IAM allows at most \(limit) in a \(what)'s inline policies: grant it on fewer repositories"
            out.append(placeholders ? .warning(message, at: p.firstMark) : .error(message, at: p.firstMark))
        }
        return out
    }

    /// Logical ID and `PolicyName` of an imported principal's default policy.
    static func policyIDs(stack: String, principal: Principal) -> (String, String) {
        switch principal {
        case .role(let n):
            // @aws-cdk/aws-iam:importedRoleStackSafeDefaultPolicyName
            let importID = "ImportedRole-\(n)"
            let policyID = "Policy" + LogicalID.uniqueID(stack: stack, [importID])
            return (LogicalID.make([importID, policyID, "Resource"]), policyID)
        case .user(let n):
            let id = LogicalID.make(["ImportedUser-\(n)", "Policy", "Resource"])
            return (id, String(id.suffix(128)))
        default:
            preconditionFailure("only roles and users have identity policies here")
        }
    }

    static func grantActions(_ access: Access) -> (actions: [String], token: Bool) {
        switch access {
        case .pull: (ECRActions.pull, true)
        case .push: (ECRActions.push, true)
        case .pullPush: (ECRActions.pullPush, true)
        case .read: (ECRActions.read, false)
        case .actions(let a): (a, false)
        }
    }

    static func accountRoot(_ account: String, env: Environment?) -> JSONValue {
        if let env { return .string("arn:\(env.partition):iam::\(account):root") }
        return .object([("Fn::Join", .array([.string(""), .array([.string("arn:"), .ref("AWS::Partition"), .string(":iam::\(account):root")])]))])
    }

    static func repositoryARN(_ repo: Repository, logicalID: String, env: Environment?) -> String {
        let partition = env?.partition ?? "${AWS::Partition}"
        let region = env?.region ?? "${AWS::Region}"
        let account = env?.account ?? "${AWS::AccountId}"
        let name = repo.repositoryName?.value ?? "${" + logicalID + "}"
        // Appended piece by piece into room for all: an interpolation of five parts costs more.
        var arn = "arn:"
        arn.reserveCapacity(32 + partition.utf8.count + region.utf8.count + account.utf8.count + name.utf8.count)
        for part in [partition, ":ecr:", region, ":", account, ":repository/", name] { arn += part }
        return arn
    }

    /// What the owner of an imported topic, queue or function must allow so EventBridge can deliver.
    static func deliveryStatement(to target: TargetARN, stack: String, env: Environment?) -> Statement {
        let partition = env?.partition ?? "${AWS::Partition}"
        let region = env?.region ?? "${AWS::Region}"
        let account = env?.account ?? "${AWS::AccountId}"
        let ruleARNs = JSONValue.string("arn:\(partition):events:\(region):\(account):rule/\(stack)-*")
        switch target.service {
        case .sns:
            // SNS topic policies for EventBridge take no condition.
            return Statement(actions: ["sns:Publish"], principals: [.service("events.amazonaws.com")],
                             resources: [.string(target.arn)])
        case .sqs:
            return Statement(actions: ["sqs:SendMessage"], principals: [.service("events.amazonaws.com")],
                             resources: [.string(target.arn)],
                             condition: .object([("ArnLike", .object([("aws:SourceArn", ruleARNs)]))]))
        case .eventBus:
            let sender = JSONValue.string("arn:\(partition):iam::\(account):root")
            return Statement(actions: ["events:PutEvents"], principals: [.arn(sender.stringValue!)], resources: [.string(target.arn)])
        default:
            return Statement(actions: ["lambda:InvokeFunction"], principals: [.service("events.amazonaws.com")],
                             resources: [.string(target.arn)],
                             condition: .object([("ArnLike", .object([("aws:SourceArn", ruleARNs)]))]))
        }
    }

    static func mergedTags(stack: [Tag], _ own: [Tag]) -> [Tag] {
        var byKey: [String: Tag] = [:]
        for t in stack { byKey[t.key] = t }
        for t in own { byKey[t.key] = t }
        return sortedTags(Array(byKey.values))
    }

    /// Tags in the CDK's order (`localeCompare` of their keys); keys are unique.
    static func sortedTags(_ tags: [Tag]) -> [Tag] {
        tags.map { (Collation.key($0.key), $0) }.sorted { Collation.precedes($0.0, $1.0, $0.1.key, $1.1.key) }.map(\.1)
    }

    /// A policy document as the CDK renders it: its statements, then the version.
    static func writePolicyDocument<S: JSONSink>(_ statements: [Statement], to s: inout S) {
        s.object { o in
            o.member("Statement", array: { a in
                for st in statements { st.writeCDK(to: &a) }
            })
            o.member("Version", literal: "2012-10-17")
        }
    }

    /// The policy document as compact text, as IAM and ECR measure it.
    static func compactPolicyText(_ statements: [Statement]) -> String {
        var text = CompactJSON(capacity: 256 * statements.count + 64)
        writePolicyDocument(statements, to: &text)
        return text.text
    }
}

/// A file-name-safe form of user text: anything outside `[A-Za-z0-9+=,.@_-]` becomes '-', and a
/// leading '.' is replaced so the name is never hidden, '.' or '..'.
func safeFileName(_ s: String) -> String {
    var out = String(s.unicodeScalars.map { u -> Character in
        let ok = u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || "+=,.@_-".unicodeScalars.contains(u))
        return ok ? Character(u) : "-"
    })
    if out.hasPrefix(".") { out = "_" + out.dropFirst() }
    return out.isEmpty ? "_" : String(out.prefix(120))
}

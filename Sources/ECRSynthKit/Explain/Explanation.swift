import ECRSpec

/// The plan of a valid spec in words: per stack and repository, what ECR, IAM and EventBridge will
/// do. Built from the same `Plan` synth renders, so it cannot say something the template does not.
/// Every item carries both its facts (for `--format json`) and a sentence (for people).
public struct Explanation: Sendable {
    /// The spec's stack name (the first stack's name).
    public var stackName: String
    public var stacks: [StackExplanation]
    /// Who may call `ecr:GetAuthorizationToken` (`docker login`), and through what.
    public var authorizationToken: [TokenExplanation]
}

public struct StackExplanation: Sendable {
    public var name: String
    public var template: String
    public var description: String?
    public var env: Environment?
    /// A sentence on the environment: concrete ARNs, or placeholders.
    public var environmentText: String
    public var identityPolicies: [IdentityPolicyExplanation]
    public var repositories: [RepositoryExplanation]
}

/// One `AWS::IAM::Policy` attached to an existing role or user.
public struct IdentityPolicyExplanation: Sendable {
    public var principal: Principal
    public var logicalID: String
    public var file: String
    /// Ids of the repositories it grants on, in this stack.
    public var repositories: [String]
    public var authorizationToken: Bool
    public var text: String
}

/// A property of a repository: its value as the spec has it, and what it means.
public struct Fact: Sendable {
    public var value: JSONValue
    public var text: String
}

public struct RepositoryExplanation: Sendable {
    public var id: String
    public var logicalID: String
    public var repositoryName: String?
    public var stack: String
    public var name: Fact
    public var encryption: Fact
    public var scanning: Fact
    public var tagMutability: Fact
    public var removal: Fact
    public var lifecycleRegistryId: String?
    public var tags: [(key: String, value: String)]
    /// In the order ECR applies them: lowest priority first.
    public var lifecycle: [RuleExplanation]
    public var access: [AccessExplanation]
    public var events: [EventExplanation]
}

public struct RuleExplanation: Sendable {
    /// The final `rulePriority`.
    public var priority: Int
    /// 1-based position in the repository's `lifecycleRules` as written.
    public var written: Int
    public var line: Int
    public var description: String?
    public var tagStatus: TagStatus
    public var tagPrefixList: [String]?
    public var tagPatternList: [String]?
    public var storageClass: StorageClass
    public var action: LifecycleAction
    public var countType: String
    public var countNumber: Int
    public var text: String
}

public struct AccessExplanation: Sendable {
    public enum Source: String, Sendable {
        case grant, resourcePolicy
    }

    public enum Through: String, Sendable {
        case identityPolicy, repositoryPolicy
    }

    public var source: Source
    /// `{role: ci-builder}` for a grant; the raw `Principal` JSON for a `resourcePolicy` statement.
    public var principal: String
    public var effect: String
    /// `pull`, `push`, `pullPush`, `read`, `actions`, or `statement` for a `resourcePolicy` entry.
    public var access: String
    public var actions: [String]
    public var through: Through
    /// The identity policy's logical ID, or `RepositoryPolicyText`.
    public var policy: String
    public var file: String
    /// The identity policy another account must attach, for a cross-account grant.
    public var crossAccountFile: String?
    /// Whether the grant also allows `ecr:GetAuthorizationToken` on `*`.
    public var authorizationToken: Bool
    public var line: Int
    public var text: String
}

public struct EventExplanation: Sendable {
    public var id: String
    /// `imageScanCompleted` or `imagePushed`.
    public var kind: String
    public var logicalID: String
    public var imageTags: [String]?
    public var targets: [TargetExplanation]
    public var text: String
}

public struct TargetExplanation: Sendable {
    public enum Delivery: String, Sendable {
        /// A Lambda permission in the template.
        case permission
        /// Through the rule's events role (event buses).
        case eventsRole
        /// The target's owner must add the statement written under `policies/targets/`.
        case targetPolicy
    }

    public var arn: String
    public var service: String
    public var name: String
    public var account: String
    public var region: String
    public var delivery: Delivery
    /// The Lambda permission's or events role's logical ID.
    public var logicalID: String?
    /// The file under `policies/targets/`, when the owner has to add a statement.
    public var file: String?
    public var text: String
}

public struct TokenExplanation: Sendable {
    public var principal: Principal
    /// The identity policy that carries the statement, when ecrsynth writes one.
    public var policy: String?
    public var stack: String?
    public var file: String?
    /// `authorizationToken.grantRead`, or the repositories whose pull/push grants add it.
    public var reasons: [String]
    public var text: String
}

public enum Explainer {
    /// Explains valid stacks (`Pipeline.check(...).stacks`).
    public static func explain(_ stacks: [Plan], spec: Spec? = nil) -> Explanation {
        let base = stacks.first?.stackName ?? spec?.stack.name.value ?? ""
        var externalFiles: [Principal: String] = [:]
        var targetFiles: [String: String] = [:]
        for plan in stacks {
            for e in plan.externalPolicies where externalFiles[e.principal] == nil {
                externalFiles[e.principal] = "policies/cross-account/\(safeFileName(e.fileStem)).json"
            }
            for t in plan.targetPolicies where targetFiles[t.target.arn] == nil {
                targetFiles[t.target.arn] = "policies/targets/\(safeFileName(t.fileStem)).json"
            }
        }
        let context = Context(externalFiles: externalFiles, targetFiles: targetFiles)
        let explained = stacks.map { stack(of: $0, context) }
        return Explanation(stackName: base, stacks: explained, authorizationToken: tokens(stacks, spec: spec))
    }

    struct Context {
        var externalFiles: [Principal: String]
        var targetFiles: [String: String]
    }

    static func stack(of plan: Plan, _ context: Context) -> StackExplanation {
        let environment: String
        if let env = plan.env {
            environment = "account \(env.account), Region \(env.region) (partition \(env.partition)); policy files name concrete ARNs"
        } else {
            environment = "not set: the account and Region are those the template is deployed to; policy files use placeholders such as ${AWS::AccountId}"
        }
        let identity = plan.principalPolicies.map { p -> IdentityPolicyExplanation in
            var repos: [String] = []
            for case let r? in p.origins where !repos.contains(plan.repositories[r].id) { repos.append(plan.repositories[r].id) }
            let token = p.origins.contains { $0 == nil }
            let file = "policies/\(safeFileName(p.fileStem)).json"
            var text = "\(principalWords(p.principal)): \(p.logicalID), attached to the existing \(kind(p.principal))"
            if !repos.isEmpty { text += "; grants on \(list(repos.map { "'\($0)'" }))" }
            if token { text += "; allows ecr:GetAuthorizationToken" }
            text += " (\(file))"
            return IdentityPolicyExplanation(principal: p.principal, logicalID: p.logicalID, file: file,
                                             repositories: repos, authorizationToken: token, text: text)
        }
        return StackExplanation(
            name: plan.stackName, template: "\(plan.stackName).template.json", description: plan.description, env: plan.env,
            environmentText: environment, identityPolicies: identity,
            repositories: plan.repositories.map { repository($0, in: plan, context) })
    }

    static func repository(_ r: RepositoryPlan, in plan: Plan, _ context: Context) -> RepositoryExplanation {
        let repo = r.repository
        let name = Fact(value: repo.repositoryName.map { .string($0.value) } ?? .null,
                        text: repo.repositoryName.map { $0.value } ?? "chosen by CloudFormation (no repositoryName)")
        return RepositoryExplanation(
            id: r.id, logicalID: r.logicalID, repositoryName: repo.repositoryName?.value, stack: plan.stackName,
            name: name, encryption: encryption(repo), scanning: scanning(repo), tagMutability: mutability(repo),
            removal: removal(repo), lifecycleRegistryId: repo.lifecycleRegistryId,
            tags: r.tags.map { ($0.key, $0.value) },
            lifecycle: lifecycle(r), access: access(r, in: plan, context), events: events(r, context))
    }

    // MARK: Properties

    static func encryption(_ repo: Repository) -> Fact {
        var o = JSONObject()
        o.set("type", .string(repo.encryption.rawValue))
        o.set("key", repo.encryptionKey.map(JSONValue.string) ?? .null)
        let key = repo.encryptionKey.map { "key \($0)" } ?? "the AWS managed key aws/ecr"
        let text: String
        switch repo.encryption {
        case .aes256: text = "AES-256 with keys ECR manages (ECR's default)"
        case .kms: text = "KMS, with \(key)"
        case .kmsDSSE: text = "dual-layer KMS (KMS_DSSE), with \(key)"
        }
        return Fact(value: o.json, text: text)
    }

    static func scanning(_ repo: Repository) -> Fact {
        switch repo.imageScanOnPush {
        case true?: Fact(value: .object([("scanOnPush", .bool(true))]), text: "every image is scanned for vulnerabilities when it is pushed")
        case false?: Fact(value: .object([("scanOnPush", .bool(false))]), text: "images are not scanned on push (imageScanOnPush: false)")
        case nil: Fact(value: .object([("scanOnPush", .null)]), text: "images are not scanned on push (ECR's default; imageScanOnPush is not set)")
        }
    }

    static func mutability(_ repo: Repository) -> Fact {
        var o = JSONObject()
        o.set("value", repo.imageTagMutability.map { .string($0.rawValue) } ?? .null)
        o.set("exclusionFilters", .array((repo.exclusionFilters ?? []).map(JSONValue.string)))
        let filters = list((repo.exclusionFilters ?? []).map { "'\($0)'" }, or: true)
        let text: String
        switch repo.imageTagMutability {
        case nil: text = "mutable (ECR's default; imageTagMutability is not set): pushing a tag again moves it to the new image"
        case .mutable?: text = "mutable: pushing a tag again moves it to the new image"
        case .immutable?: text = "immutable: a tag always names the same image"
        case .immutableWithExclusion?: text = "immutable, except tags matching \(filters), which can be moved to a new image"
        case .mutableWithExclusion?: text = "mutable, except tags matching \(filters), which always name the same image"
        }
        return Fact(value: o.json, text: text)
    }

    static func removal(_ repo: Repository) -> Fact {
        var o = JSONObject()
        o.set("removalPolicy", .string(repo.removalPolicy.rawValue))
        o.set("emptyOnDelete", repo.emptyOnDelete.map(JSONValue.bool) ?? .null)
        let text: String
        switch repo.removalPolicy {
        case .retain:
            text = "kept, images and all, when it leaves the stack, the stack is deleted or it is replaced (DeletionPolicy Retain)"
        case .destroy where repo.emptyOnDelete == true:
            text = "deleted with its images when it leaves the stack or the stack is deleted (DeletionPolicy Delete, emptyOnDelete)"
        case .destroy:
            text = "deleted when it leaves the stack or the stack is deleted (DeletionPolicy Delete); the deletion fails while it holds images"
        }
        return Fact(value: o.json, text: text)
    }

    // MARK: Lifecycle

    static func lifecycle(_ r: RepositoryPlan) -> [RuleExplanation] {
        let written = r.repository.lifecycleRules
        return r.lifecycle.sorted { $0.priority < $1.priority }.map { p in
            let rule = p.rule
            let position = (written.firstIndex { $0.mark == rule.mark } ?? 0) + 1
            return RuleExplanation(
                priority: p.priority, written: position, line: rule.mark.line, description: rule.description,
                tagStatus: rule.tagStatus, tagPrefixList: rule.tagPrefixList, tagPatternList: rule.tagPatternList,
                storageClass: rule.effectiveStorageClass, action: rule.action, countType: rule.limit.countType,
                countNumber: rule.limit.number, text: ruleText(rule))
        }
    }

    /// One rule in words: "keep the 9999 newest images with a tag starting with 'prod'; expire older ones".
    public static func ruleText(_ rule: LifecycleRule) -> String {
        let archive = rule.action == .archive
        switch rule.limit {
        case .maxImageCount(let n):
            let what = selection(rule, plural: true)
            let newest = n == 1 ? "the newest \(singular(what))" : "the \(n) newest \(what)"
            if rule.effectiveStorageClass == .archive {
                return "keep \(newest) in the archive; delete older ones from the archive"
            }
            return archive ? "keep \(newest); move older ones to the archive" : "keep \(newest); expire older ones"
        case .maxImageAge(let d):
            let what = selection(rule, plural: false)
            return archive ? "move \(what) pushed more than \(days(d)) ago to the archive"
                : rule.effectiveStorageClass == .archive ? "delete \(what) pushed more than \(days(d)) ago from the archive"
                : "expire \(what) pushed more than \(days(d)) ago"
        case .maxTimeSinceLastPull(let d):
            let what = selection(rule, plural: false)
            let verb = archive ? "move" : "expire"
            let tail = archive ? " to the archive" : ""
            return "\(verb) \(what) not pulled for more than \(days(d)) (counted from the push when never pulled)\(tail)"
        case .maxTimeInArchive(let d):
            let what = selection(rule, plural: false)
            return "delete \(what) from the archive after \(days(d)) in the archive"
        }
    }

    /// "images with …" → "image with …", "untagged images" → "untagged image".
    static func singular(_ plural: String) -> String {
        for prefix in ["images", "untagged images", "tagged images"] where plural.hasPrefix(prefix) {
            return String(prefix.dropLast()) + plural.dropFirst(prefix.count)
        }
        return plural
    }

    /// "images with a tag starting with 'prod'" / "any image with a tag matching 'rc-*'".
    static func selection(_ rule: LifecycleRule, plural: Bool) -> String {
        let noun = plural ? "images" : "any image"
        switch rule.tagStatus {
        case .any: return noun
        case .untagged: return plural ? "untagged images" : "any untagged image"
        case .tagged:
            if let prefixes = rule.tagPrefixList, !prefixes.isEmpty {
                return noun + " with " + prefixes.map { "a tag starting with '\($0)'" }.joined(separator: " and ")
            }
            if let patterns = rule.tagPatternList, !patterns.isEmpty {
                return noun + " with " + patterns.map { "a tag matching '\($0)'" }.joined(separator: " and ")
            }
            return plural ? "tagged images" : "any tagged image"
        }
    }

    static func days(_ n: Int) -> String { n == 1 ? "1 day" : "\(n) days" }

    // MARK: Access

    static func access(_ r: RepositoryPlan, in plan: Plan, _ context: Context) -> [AccessExplanation] {
        var out: [AccessExplanation] = []
        let repositoryFile = "policies/repository-\(safeFileName(r.id)).json"
        for grant in r.repository.grants {
            let principal = grant.principal.value
            let (actions, token) = Planner.grantActions(grant.access)
            let accessName: String
            switch grant.access {
            case .pull: accessName = "pull"
            case .push: accessName = "push"
            case .pullPush: accessName = "pullPush"
            case .read: accessName = "read"
            case .actions: accessName = "actions"
            }
            var text = "\(principalWords(principal)) may \(accessWords(grant.access))"
            switch principal {
            case .role, .user:
                let policy = plan.principalPolicies.first { $0.principal == principal }
                let file = "policies/\(safeFileName(policy?.fileStem ?? "principal")).json"
                text += ", through the identity policy of \(kind(principal)) \(principalName(principal)) (\(file))"
                if token { text += ", which also allows ecr:GetAuthorizationToken" }
                out.append(AccessExplanation(
                    source: .grant, principal: principal.specText, effect: "Allow", access: accessName,
                    actions: jsSorted(unique(actions)), through: .identityPolicy,
                    policy: policy?.logicalID ?? "", file: file, crossAccountFile: nil, authorizationToken: token,
                    line: grant.mark.line, text: text))
            case .arn, .account, .service:
                text += ", through the repository policy (\(repositoryFile))"
                let external = context.externalFiles[principal]
                if let external {
                    text += "; account \(accountOf(principal)) must also allow it to its principals: \(external)"
                    if token { text += ", which includes ecr:GetAuthorizationToken" }
                }
                out.append(AccessExplanation(
                    source: .grant, principal: principal.specText, effect: "Allow", access: accessName,
                    actions: jsSorted(unique(actions)), through: .repositoryPolicy,
                    policy: "RepositoryPolicyText", file: repositoryFile, crossAccountFile: external,
                    authorizationToken: token && external != nil, line: grant.mark.line, text: text))
            }
        }
        for raw in r.repository.resourcePolicy {
            let s = Statement(json: raw.value)
            let principal = raw.value["Principal"].map { principalJSONWords($0) }
                ?? raw.value["NotPrincipal"].map { "every principal except " + principalJSONWords($0) } ?? "nobody"
            let actions = s.actions.isEmpty ? s.notActions : s.actions
            let actionWords = s.actions.isEmpty ? "every action except \(list(s.notActions))" : list(s.actions)
            var text = s.sid.map { "statement \($0): " } ?? "a statement: "
            text += "\(s.effect == "Deny" ? "denies" : "allows") \(principal) \(actionWords)"
            if let c = s.condition { text += " when \(conditionWords(c))" }
            text += ", in the repository policy (\(repositoryFile))"
            out.append(AccessExplanation(
                source: .resourcePolicy,
                principal: raw.value["Principal"].map(JSONWriter.compact) ?? raw.value["NotPrincipal"].map { "not " + JSONWriter.compact($0) } ?? "",
                effect: s.effect, access: "statement", actions: actions, through: .repositoryPolicy,
                policy: "RepositoryPolicyText", file: repositoryFile, crossAccountFile: nil, authorizationToken: false,
                line: raw.mark.line, text: text))
        }
        return out
    }

    static func accessWords(_ access: Access) -> String {
        switch access {
        case .pull: "pull"
        case .push: "push"
        case .pullPush: "pull and push"
        case .read: "read (describe the repository and its images)"
        case .actions(let a): list(a)
        }
    }

    static func principalWords(_ p: Principal) -> String {
        switch p {
        case .role(let n): "role \(n)"
        case .user(let n): "user \(n)"
        case .arn(let a): "principal \(a)"
        case .account(let a): "account \(a)"
        case .service(let s): "service \(s)"
        }
    }

    static func principalName(_ p: Principal) -> String {
        switch p {
        case .role(let n), .user(let n), .arn(let n), .account(let n), .service(let n): n
        }
    }

    static func kind(_ p: Principal) -> String {
        switch p {
        case .role: "role"
        case .user: "user"
        default: "principal"
        }
    }

    static func accountOf(_ p: Principal) -> String {
        switch p {
        case .account(let a): return a
        case .arn(let a):
            let parts = a.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count > 4 ? String(parts[4]) : a
        default: return ""
        }
    }

    /// `{Service: lambda.amazonaws.com}` → "service lambda.amazonaws.com"; `"*"` → "everyone (*)".
    static func principalJSONWords(_ v: JSONValue) -> String {
        if v.stringValue == "*" { return "everyone (*)" }
        guard case .object(let pairs) = v else { return JSONWriter.compact(v) }
        return list(pairs.map { key, value in
            let values = value.strings ?? [JSONWriter.compact(value)]
            if key == "AWS", values == ["*"] { return "every AWS principal (*)" }
            let name = key == "AWS" ? "AWS" : key == "Service" ? "service" : key
            return "\(name) \(list(values))"
        })
    }

    /// `{StringNotEquals: {aws:PrincipalAccount: "1"}}` → "aws:PrincipalAccount StringNotEquals 1".
    static func conditionWords(_ c: JSONValue) -> String {
        guard case .object(let operators) = c else { return JSONWriter.compact(c) }
        var parts: [String] = []
        for (op, keys) in operators {
            guard case .object(let pairs) = keys else { parts.append("\(op) \(JSONWriter.compact(keys))"); continue }
            for (key, value) in pairs {
                parts.append("\(key) \(op) \(list(value.strings ?? [JSONWriter.compact(value)], or: true))")
            }
        }
        return parts.joined(separator: " and ")
    }

    // MARK: Events

    static func events(_ r: RepositoryPlan, _ context: Context) -> [EventExplanation] {
        r.events.map { e in
            let rule = e.rule
            let tags = rule.imageTags.map { "an image tagged " + list($0.map { "'\($0)'" }, or: true) }
            let when: String
            let kind: String
            switch rule.kind {
            case .imageScanCompleted:
                kind = "imageScanCompleted"
                when = "when the scan of \(tags ?? "any image") completes"
            case .imagePushed:
                kind = "imagePushed"
                when = "when \(tags ?? "any image") is pushed"
            }
            let targets = e.targets.map { target(t: $0, event: e, context) }
            return EventExplanation(id: rule.id.value, kind: kind, logicalID: e.logicalID, imageTags: rule.imageTags,
                                    targets: targets, text: "\(rule.id.value) (\(e.logicalID)): \(when), to \(plural(targets.count, "target"))")
        }
    }

    static func target(t: TargetPlan, event: EventPlan, _ context: Context) -> TargetExplanation {
        let target = t.target
        let where_ = "account \(target.account), \(target.region)"
        let file = context.targetFiles[target.arn]
        var text: String
        let delivery: TargetExplanation.Delivery
        var logicalID: String?
        switch target.service {
        case .sns:
            text = "SNS topic \(target.name) (\(where_))"
            delivery = .targetPolicy
        case .sqs:
            text = "SQS queue \(target.name) (\(where_))"
            delivery = .targetPolicy
        case .lambda:
            text = "Lambda function \(target.name) (\(where_))"
            if let p = t.permissionLogicalID {
                text += ", invoked under the permission \(p) in this stack"
                delivery = .permission
                logicalID = p
            } else {
                delivery = .targetPolicy
            }
        case .eventBus:
            text = "event bus \(target.name) (\(where_))"
            if let role = event.eventsRole {
                text += ", through the events role \(role.roleLogicalID)"
                logicalID = role.roleLogicalID
            }
            delivery = .eventsRole
        }
        if let file {
            let owner: String
            switch target.service {
            case .sns: owner = "the topic's owner must add the statement in \(file) to its policy"
            case .sqs: owner = "the queue's owner must add the statement in \(file) to its policy"
            case .lambda: owner = "no permission is added here: the function's owner must add the statement in \(file)"
            case .eventBus: owner = "the bus's owner must add the statement in \(file) to its policy"
            }
            text += "; " + owner
        }
        return TargetExplanation(arn: target.arn, service: target.service.rawValue, name: target.name, account: target.account,
                                 region: target.region, delivery: delivery, logicalID: logicalID, file: file, text: text)
    }

    // MARK: Authorization token

    static func tokens(_ stacks: [Plan], spec: Spec?) -> [TokenExplanation] {
        var out: [TokenExplanation] = []
        var index: [Principal: Int] = [:]
        let readers = Set((spec?.authorizationTokenReaders ?? []).map(\.value))
        for plan in stacks {
            for p in plan.principalPolicies where p.origins.contains(where: { $0 == nil }) {
                guard index[p.principal] == nil else { continue }
                var reasons: [String] = []
                if readers.contains(p.principal) { reasons.append("authorizationToken.grantRead") }
                for repo in stacks.flatMap(\.repositories) {
                    for g in repo.repository.grants where g.principal.value == p.principal {
                        switch g.access {
                        case .pull, .push, .pullPush:
                            let reason = "grant on '\(repo.id)'"
                            if !reasons.contains(reason) { reasons.append(reason) }
                        default: break
                        }
                    }
                }
                let file = "policies/\(safeFileName(p.fileStem)).json"
                index[p.principal] = out.count
                out.append(TokenExplanation(
                    principal: p.principal, policy: p.logicalID, stack: plan.stackName, file: file, reasons: reasons,
                    text: "\(principalWords(p.principal)), through its identity policy \(p.logicalID) in stack \(plan.stackName) (\(file)); because of \(reasonWords(reasons))"))
            }
        }
        // Principals of other accounts get the action only from their own account: from the
        // cross-account file their pull/push grants produce, if any.
        for external in stacks.first?.externalPolicies ?? [] where index[external.principal] == nil {
            guard external.statements.contains(where: { $0.actions == ["ecr:GetAuthorizationToken"] }) else { continue }
            var reasons: [String] = []
            for repo in stacks.flatMap(\.repositories) {
                for g in repo.repository.grants where g.principal.value == external.principal {
                    switch g.access {
                    case .pull, .push, .pullPush:
                        let reason = "grant on '\(repo.id)'"
                        if !reasons.contains(reason) { reasons.append(reason) }
                    default: break
                    }
                }
            }
            let file = "policies/cross-account/\(safeFileName(external.fileStem)).json"
            index[external.principal] = out.count
            out.append(TokenExplanation(
                principal: external.principal, policy: nil, stack: nil, file: file, reasons: reasons,
                text: "\(principalWords(external.principal)), once account \(external.account) attaches \(file) to its principals; because of \(reasonWords(reasons))"
                    + (readers.contains(external.principal) ? " (its authorizationToken.grantRead entry adds nothing)" : "")))
        }
        for reader in spec?.authorizationTokenReaders ?? [] where index[reader.value] == nil {
            switch reader.value {
            case .role, .user: continue
            default:
                index[reader.value] = out.count
                out.append(TokenExplanation(
                    principal: reader.value, policy: nil, stack: nil, file: nil, reasons: ["authorizationToken.grantRead"],
                    text: "\(principalWords(reader.value)): nothing is written for it; it must be allowed in the principal's own account"))
            }
        }
        return out
    }

    // MARK: Words

    /// `["authorizationToken.grantRead", "grant on 'A'", "grant on 'B'"]` →
    /// "authorizationToken.grantRead and its grants on 'A' and 'B'".
    static func reasonWords(_ reasons: [String]) -> String {
        let grants = reasons.filter { $0.hasPrefix("grant on ") }.map { String($0.dropFirst("grant on ".count)) }
        var parts = reasons.filter { !$0.hasPrefix("grant on ") }
        if !grants.isEmpty { parts.append((grants.count == 1 ? "its grant on " : "its grants on ") + list(grants)) }
        return list(parts)
    }

    /// "a", "a and b", "a, b and c" (or "or").
    static func list(_ items: [String], or: Bool = false) -> String {
        let word = or ? " or " : " and "
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + word + items.last!
        }
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}

import YAML

/// Decodes and checks one repository, with `defaults` merged in.
struct RepositoryDecoder {
    let findings: Findings
    let env: Environment?

    func decode(_ node: Node, defaults: [Pair]) -> Repository? {
        guard let merged = merge(node, defaults: defaults),
              let f = Fields(merged, known: SpecLoader.repositoryKeys, what: "a repository", findings: findings)
        else { return nil }

        let name = f.string("repositoryName")
        var nameOK = true
        if let name {
            nameOK = checkRepositoryName(name)
        }
        var id: Located<String>?
        var derived = false
        if let given = f.string("id") {
            if isConstructID(given.value) {
                id = given
            } else {
                findings.error(
                    "repository id '\(given.value)' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)",
                    at: given.mark)
            }
        } else if let name {
            if nameOK {
                id = Located(pascalCase(name.value), at: name.mark)
                derived = true
            }
        } else {
            findings.error("a repository needs an 'id' or a 'repositoryName'", at: node.mark)
        }

        var repo = Repository(id: id ?? Located("", at: node.mark), idIsDerived: derived, repositoryName: nameOK ? name : nil, mark: node.mark)
        repo.imageScanOnPush = f.bool("imageScanOnPush")
        repo.imageTagMutability = f.enumeration("imageTagMutability", TagMutability.self)
        decodeExclusions(f, &repo)
        decodeEncryption(f, &repo)
        repo.removalPolicy = f.enumeration("removalPolicy", RemovalPolicy.self) ?? .retain
        repo.emptyOnDelete = f.bool("emptyOnDelete")
        if repo.emptyOnDelete == true, repo.removalPolicy != .destroy {
            findings.error("'emptyOnDelete: true' needs 'removalPolicy: destroy'; a retained repository is never emptied",
                           at: f.value("emptyOnDelete")!.mark)
        }
        if let r = f.string("lifecycleRegistryId") {
            if isAccountID(r.value) {
                repo.lifecycleRegistryId = r.value
            } else {
                findings.error("'lifecycleRegistryId' must be a 12-digit AWS account ID, got '\(r.value)'", at: r.mark)
            }
        }
        repo.tags = f.value("tags").map { SpecLoader.decodeTags($0, findings) } ?? []
        if let rules = f.list("lifecycleRules") {
            repo.lifecycleRules = LifecycleDecoder(findings: findings).decode(rules, listMark: f.value("lifecycleRules")!.mark)
        }
        repo.onImageScanCompleted = decodeEvents(f, key: "onImageScanCompleted", kind: .imageScanCompleted)
        repo.onImagePushed = decodeEvents(f, key: "onImagePushed", kind: .imagePushed)
        checkEventIDs(repo)
        if let grants = f.list("grants") {
            repo.grants = grants.compactMap(decodeGrant)
        }
        if let statements = f.list("resourcePolicy") {
            repo.resourcePolicy = statements.compactMap { PolicyStatementDecoder(findings: findings).decode($0) }
        }
        repo.stack = f.string("stack")
        guard id != nil else { return nil }
        warnings(f, repo)
        return repo
    }

    /// The repository's own keys, then every default it does not set; tags are merged key by key.
    func merge(_ node: Node, defaults: [Pair]) -> Node? {
        guard let own = node.mapping else {
            findings.error("a repository must be a mapping, got \(node.kindDescription)", at: node.mark)
            return nil
        }
        guard !defaults.isEmpty else { return node }
        // Mappings are small: searched rather than hashed.
        var pairs = own
        pairs.reserveCapacity(own.count + defaults.count)
        for d in defaults {
            guard let key = d.key.scalar else { continue }
            let i = own.firstIndex { $0.key.isScalar(key) }
            if key == "tags", let i, let repoTags = pairs[i].value.mapping, let defaultTags = d.value.mapping {
                let inherited = defaultTags.filter { tag in !repoTags.contains { $0.key.isScalar(tag.key.scalar ?? "") } }
                pairs[i].value = Node(.mapping(inherited + repoTags), mark: pairs[i].value.mark)
            } else if i == nil {
                pairs.append(d)
            }
        }
        return Node(.mapping(pairs), mark: node.mark, tag: node.tag)
    }

    func checkRepositoryName(_ name: Located<String>) -> Bool {
        let s = name.value
        var problems: [String] = []
        let length = s.characterCount
        if length < 2 || length > 256 { problems.append("it must be 2 to 256 characters long") }
        if !isRepositoryNamePattern(s) {
            problems.append("it may hold only lowercase letters and digits, with single '.', '_' or '-' between them, in components separated by '/'")
        }
        guard problems.isEmpty else {
            findings.error("invalid repository name '\(s)': " + problems.joined(separator: "; "), at: name.mark)
            return false
        }
        return true
    }

    func decodeExclusions(_ f: Fields, _ repo: inout Repository) {
        let mutability = repo.imageTagMutability
        guard let filters = f.stringList("imageTagMutabilityExclusionFilters") else {
            if let m = mutability, m.hasExclusions, !f.has("imageTagMutabilityExclusionFilters") {
                findings.error("'imageTagMutability: \(m.rawValue)' needs 'imageTagMutabilityExclusionFilters'",
                               at: f.value("imageTagMutability")!.mark)
            }
            return
        }
        let listMark = f.value("imageTagMutabilityExclusionFilters")!.mark
        if !(mutability?.hasExclusions ?? false) {
            findings.error(
                "'imageTagMutabilityExclusionFilters' needs 'imageTagMutability: IMMUTABLE_WITH_EXCLUSION' or 'MUTABLE_WITH_EXCLUSION', got "
                    + (mutability.map { "'\($0.rawValue)'" } ?? "none"),
                at: f.keyMark("imageTagMutabilityExclusionFilters")!)
        }
        if filters.isEmpty || filters.count > 5 {
            findings.error("'imageTagMutabilityExclusionFilters' must hold 1 to 5 filters, got \(filters.count)", at: listMark)
        }
        for p in filters {
            if p.value.isEmpty {
                findings.error("an exclusion filter must not be empty", at: p.mark)
            } else if p.value.count > 128 {
                findings.error("exclusion filter is \(p.value.count) characters long; at most 128 are allowed", at: p.mark)
            } else if !p.value.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || "._*-".utf8.contains($0) }) {
                findings.error(
                    "exclusion filter '\(p.value)' may hold only letters, digits, '.', '_', '*' and '-'", at: p.mark)
            }
        }
        repo.exclusionFilters = filters.map(\.value)
    }

    func decodeEncryption(_ f: Fields, _ repo: inout Repository) {
        let explicit = f.enumeration("encryption", Encryption.self)
        let key = f.string("encryptionKey")
        repo.encryption = explicit ?? (key != nil ? .kms : .aes256)
        guard let key else { return }
        if let e = explicit, e == .aes256 {
            findings.error("'encryptionKey' needs 'encryption: KMS' or 'KMS_DSSE', got 'AES256'", at: key.mark)
            return
        }
        guard let kms = KMSKeyReference(key.value) else {
            findings.error(
                "'encryptionKey' must be a KMS key ARN, alias ARN, key ID or 'alias/NAME', got '\(key.value)'", at: key.mark)
            return
        }
        if let region = kms.region, let env, region != env.region {
            findings.error("KMS key is in '\(region)' but the stack deploys to '\(env.region)'; ECR needs a key in the same Region",
                           at: key.mark)
        }
        repo.encryptionKey = key.value
    }

    // MARK: events

    static let eventKeys = KeyTables.eventRule.names

    func decodeEvents(_ f: Fields, key: String, kind: EventKind) -> [EventRule] {
        guard let items = f.list(key) else { return [] }
        var rules: [EventRule] = []
        let base = kind == .imageScanCompleted ? "ImageScanCompleted" : "ImagePushed"
        for (j, item) in items.enumerated() {
            guard let e = Fields(item, known: Self.eventKeys, what: "an event rule", findings: findings) else { continue }
            var id = Located("\(base)\(j)", at: item.mark)
            if let given = e.string("id") {
                if isConstructID(given.value) {
                    id = given
                } else {
                    findings.error(
                        "event rule id '\(given.value)' must start with a letter and hold only letters, digits, '-' and '_'",
                        at: given.mark)
                }
            }
            var tags: [String]?
            if let t = e.stringList("imageTags") {
                if t.isEmpty {
                    findings.error("'imageTags' must not be empty; leave it out to match every tag", at: e.value("imageTags")!.mark)
                }
                for tag in t where tag.value.isEmpty {
                    findings.error("an image tag must not be empty", at: tag.mark)
                }
                tags = t.map(\.value)
            }
            var targets: [Located<TargetARN>] = []
            if e.require("targets", what: "an event rule") != nil, let arns = e.stringList("targets") {
                if arns.isEmpty || arns.count > 5 {
                    findings.error("an event rule takes 1 to 5 targets, got \(arns.count)", at: e.value("targets")!.mark)
                }
                for arn in arns {
                    guard let target = parseTarget(arn.value) else {
                        findings.error(
                            "target '\(arn.value)' is not the ARN of an SNS topic, SQS queue, Lambda function or event bus",
                            at: arn.mark)
                        continue
                    }
                    if let env, target.partition != env.partition {
                        findings.error("target '\(arn.value)' is in partition '\(target.partition)', the stack in '\(env.partition)'",
                                       at: arn.mark)
                    } else if let env, target.service != .eventBus, target.region != env.region {
                        findings.error(
                            "target '\(arn.value)' is in \(target.region) but the rule is in \(env.region); EventBridge delivers to another Region only through an event bus",
                            at: arn.mark)
                    }
                    targets.append(Located(target, at: arn.mark))
                }
            }
            rules.append(EventRule(kind: kind, id: id, imageTags: tags, targets: targets, mark: item.mark))
        }
        return rules
    }

    func checkEventIDs(_ repo: Repository) {
        // A repository has a few event rules (nearly always one): each id is compared with those before it.
        guard repo.onImageScanCompleted.count + repo.onImagePushed.count > 1 else { return }
        for (i, rule) in repo.eventRules.enumerated() {
            let id = rule.id
            // The first rule with this id, if an earlier one has it; each later one is reported.
            guard let first = repo.eventRules.prefix(i).first(where: { $0.id.value == id.value }) else { continue }
            findings.error("duplicate event rule id '\(id.value)' in repository '\(repo.id.value)'", at: id.mark,
                           notes: [.init("'\(id.value)' first used here", at: first.id.mark)])
        }
    }

    // MARK: grants

    static let grantKeys = KeyTables.grant.names

    func decodeGrant(_ node: Node) -> Grant? {
        guard let f = Fields(node, known: Self.grantKeys, what: "a grant", findings: findings) else { return nil }
        let principalNode = f.require("principal", what: "a grant")
        let accessNode = f.require("access", what: "a grant")
        let principal = principalNode.flatMap { SpecLoader.decodePrincipal($0, findings) }
        var access: Access?
        if let a = accessNode {
            switch a.kind {
            case .scalar(let s, _) where !a.isNull:
                switch s {
                case "pull": access = .pull
                case "push": access = .push
                case "pullPush": access = .pullPush
                case "read": access = .read
                default:
                    var message = "'access' must be 'pull', 'push', 'pullPush', 'read' or a list of 'ecr:' actions, got '\(s)'"
                    if let hint = suggestion(for: s, among: ["pull", "push", "pullPush", "read"]) {
                        message += "; did you mean '\(hint)'?"
                    }
                    findings.error(message, at: a.mark)
                }
            case .sequence(let items):
                if items.isEmpty {
                    findings.error("'access' must list at least one action", at: a.mark)
                }
                var actions: [String] = []
                for item in items {
                    guard let s = item.scalar, !item.isNull else {
                        findings.error("an action must be a string, got \(item.kindDescription)", at: item.mark)
                        continue
                    }
                    if checkGrantAction(s, at: item.mark) { actions.append(s) }
                }
                if actions.count == items.count, !items.isEmpty { access = .actions(actions) }
            default:
                findings.error("'access' must be 'pull', 'push', 'pullPush', 'read' or a list of 'ecr:' actions, got \(a.kindDescription)",
                               at: a.mark)
            }
        }
        guard let principal, let access else { return nil }
        return Grant(principal: principal, access: access, mark: node.mark)
    }

    func checkGrantAction(_ action: String, at mark: Mark) -> Bool {
        let parts = action.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "ecr", !parts[1].isEmpty else {
            findings.error("'\(action)' is not an ECR action; a repository grant takes 'ecr:' actions only", at: mark)
            return false
        }
        let name = String(parts[1])
        if name.lowercased() == "getauthorizationtoken" {
            findings.error("'ecr:GetAuthorizationToken' works only on '*', not on a repository; use 'authorizationToken.grantRead'",
                           at: mark)
            return false
        }
        let matched = ECRActions.matches(name, in: ECRActions.repository)
        if matched.count > 8 {
            findings.warning("'\(action)' grants \(matched.count) repository actions, including DeleteRepository and SetRepositoryPolicy; list the actions needed",
                             at: mark)
        }
        if !matched.isEmpty { return true }
        if !ECRActions.matches(name, in: ECRActions.registry).isEmpty {
            findings.error("'\(action)' is a registry action and cannot be granted on a repository", at: mark)
            return false
        }
        var message = "unknown ECR action '\(action)'"
        if let hint = suggestion(for: name, among: ECRActions.repository) { message += "; did you mean 'ecr:\(hint)'?" }
        findings.error(message, at: mark)
        return false
    }

    // MARK: warnings

    func warnings(_ f: Fields, _ repo: Repository) {
        let at = repo.id.mark
        switch repo.imageTagMutability {
        case nil where !f.has("imageTagMutability"):
            findings.warning("tags of repository '\(repo.id.value)' are mutable (ECR's default); set 'imageTagMutability: IMMUTABLE' so a tag always names the same image", at: at)
        case .mutable?:
            findings.warning("tags of repository '\(repo.id.value)' are mutable; 'IMMUTABLE' keeps a tag on the same image", at: f.value("imageTagMutability")!.mark)
        default: break
        }
        if repo.imageScanOnPush == false || !f.has("imageScanOnPush") {
            findings.warning("repository '\(repo.id.value)' does not scan images on push; set 'imageScanOnPush: true'",
                             at: f.value("imageScanOnPush")?.mark ?? at)
        }
        let firstIdentityGrant = repo.grants.first {
            switch $0.principal.value {
            case .role, .user: return true
            case .arn(let a): return env == nil || colonFields(a)[4] != env!.account
            case .account(let a): return a != env?.account
            case .service: return false
            }
        }
        if let first = firstIdentityGrant, env == nil || repo.repositoryName == nil {
            let missing = env == nil ? "stack.env" : "repositoryName"
            findings.warning(
                "policy files for repository '\(repo.id.value)' name it with placeholders such as '${AWS::AccountId}' because '\(missing)' is not set",
                at: first.mark)
        }
        for rule in repo.eventRules {
            for target in rule.targets {
                switch target.value.service {
                case .sns, .sqs:
                    let what = target.value.service == .sns ? "SNS topic" : "SQS queue"
                    findings.warning(
                        "ecrsynth cannot set the policy of \(what) '\(target.value.name)'; add the statement written to policies/ to it so EventBridge may deliver",
                        at: target.mark)
                case .lambda:
                    if env?.account != target.value.account {
                        let why = env == nil ? "stack.env is not set" : "the function is in account \(target.value.account)"
                        findings.warning(
                            "no permission is added for Lambda function '\(target.value.name)' because \(why); add the statement written to policies/",
                            at: target.mark)
                    }
                case .eventBus:
                    if let env, env.account != target.value.account {
                        findings.warning(
                            "event bus '\(target.value.name)' is in account \(target.value.account): its policy must allow events:PutEvents from account \(env.account); add the statement written to policies/",
                            at: target.mark)
                    }
                }
            }
        }
    }
}

/// A construct id ecrsynth accepts: it becomes part of logical IDs and file names.
func isConstructID(_ s: String) -> Bool {
    guard let first = s.utf8.first, isASCIILetter(first), s.utf8.count <= 200 else { return false }
    return s.utf8.allSatisfy { isASCIILetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
}

/// `team/base-images` → `TeamBaseImages`, the CDK-style id of a repository known only by name.
public func pascalCase(_ name: String) -> String {
    var text = name
    // ASCII names (all valid repository names) are written byte by byte straight into the result.
    let ascii: String? = text.withUTF8 { bytes in
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            var n = 0
            var startOfPart = true
            for u in bytes {
                guard isASCIILetter(u) || isDigit(u) else {
                    startOfPart = true
                    continue
                }
                out[n] = startOfPart && u >= 0x61 && u <= 0x7A ? u - 0x20 : u
                n += 1
                startOfPart = false
            }
            return n
        }
    }
    if let ascii { return ascii }
    var out = ""
    for part in name.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }) {
        out += part.prefix(1).uppercased() + part.dropFirst()
    }
    return out
}

/// Parses an event target ARN.
func parseTarget(_ arn: String) -> TargetARN? {
    // Read in bytes: the fields are cut at the first five colons, and only those kept become strings.
    var text = arn
    return text.withUTF8 { b -> TargetARN? in
        /// The offset of the first colon of `bytes` at or after `start`.
        func colon(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
            var i = start
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: ":") { return i }
                i += 1
            }
            return nil
        }
        // The first five colons.
        guard let c0 = colon(in: b, from: 0), let c1 = colon(in: b, from: c0 + 1), let c2 = colon(in: b, from: c1 + 1),
              let c3 = colon(in: b, from: c2 + 1), let c4 = colon(in: b, from: c3 + 1) else { return nil }
        let colons = (c0, c1, c2, c3, c4)
        func slice(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: b[from..<to]) }
        func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
            s.withUTF8Buffer { bytes.elementsEqual($0) }
        }
        // Bytes are counted: a name that passes is ASCII, where bytes and characters are the same count.
        func isName(_ s: UnsafeBufferPointer<UInt8>, extra: StaticString) -> Bool {
            !s.isEmpty && s.count <= 256
                && extra.withUTF8Buffer { extra in s.allSatisfy { isASCIILetter($0) || isDigit($0) || extra.contains($0) } }
        }
        let partitionBytes = slice(colons.0 + 1, colons.1)
        guard equals(slice(0, colons.0), "arn"),
              equals(partitionBytes, "aws") || equals(partitionBytes, "aws-cn") || equals(partitionBytes, "aws-us-gov")
        else { return nil }
        let service = slice(colons.1 + 1, colons.2)
        let region = string(slice(colons.2 + 1, colons.3))
        let account = string(slice(colons.3 + 1, colons.4))
        guard isRegion(region), isAccountID(account) else { return nil }
        let partition = string(partitionBytes)
        let rest = slice(colons.4 + 1, b.count)
        if equals(service, "sns") || equals(service, "sqs") {
            guard isName(rest, extra: "-_.") else { return nil }
            return TargetARN(arn: arn, service: equals(service, "sns") ? .sns : .sqs, partition: partition, region: region,
                             account: account, name: string(rest))
        }
        if equals(service, "lambda") {
            // function:NAME or function:NAME:QUALIFIER
            guard let first = colon(in: rest, from: 0), equals(UnsafeBufferPointer(rebasing: rest[..<first]), "function") else {
                return nil
            }
            let second = colon(in: rest, from: first + 1)
            if let second, colon(in: rest, from: second + 1) != nil { return nil }
            let name = UnsafeBufferPointer(rebasing: rest[(first + 1)..<(second ?? rest.count)])
            guard isName(name, extra: "-_"), name.count <= 64,
                  second.map({ isName(UnsafeBufferPointer(rebasing: rest[($0 + 1)...]), extra: "-_$") }) ?? true else { return nil }
            return TargetARN(arn: arn, service: .lambda, partition: partition, region: region, account: account, name: string(name))
        }
        if equals(service, "events") {
            let prefix: StaticString = "event-bus/"
            let n = prefix.utf8CodeUnitCount
            guard rest.count >= n, equals(UnsafeBufferPointer(rebasing: rest[..<n]), prefix) else { return nil }
            let name = UnsafeBufferPointer(rebasing: rest[n...])
            guard isName(name, extra: "-_./") else { return nil }
            return TargetARN(arn: arn, service: .eventBus, partition: partition, region: region, account: account, name: string(name))
        }
        return nil
    }
}

/// The forms of KMS key that `EncryptionConfiguration.KmsKey` takes.
struct KMSKeyReference {
    var region: String?

    init?(_ s: String) {
        if s.hasPrefix("arn:") {
            let parts = colonFields(s, maxSplits: 5).map(String.init)
            guard parts.count == 6, ["aws", "aws-cn", "aws-us-gov"].contains(parts[1]), parts[2] == "kms",
                  isRegion(parts[3]), isAccountID(parts[4]),
                  (parts[5].hasPrefix("key/") && parts[5].count > 4) || (parts[5].hasPrefix("alias/") && parts[5].count > 6)
            else { return nil }
            region = parts[3]
        } else if s.hasPrefix("alias/") {
            guard s.count > 6, s.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || "/_-".utf8.contains($0) }) else { return nil }
            region = nil
        } else {
            // key ID: a UUID, or a multi-Region key ID mrk-<32 hex>
            let hex = s.hasPrefix("mrk-") ? s.dropFirst(4) : Substring(s)
            guard !hex.isEmpty, hex.count <= 64, hex.utf8.allSatisfy({ isDigit($0) || ($0 >= 0x61 && $0 <= 0x66) || $0 == UInt8(ascii: "-") })
            else { return nil }
            region = nil
        }
    }
}

extension String {
    /// `count`, taken from the bytes when the text is ASCII (names and policies nearly always are),
    /// which is much faster than walking its characters.
    public var characterCount: Int {
        let ascii = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            // Eight bytes at a time: a byte of 0x80 or more sets a high bit of the word.
            guard let base = bytes.baseAddress else { return true }
            var i = 0, bits: UInt64 = 0
            while bytes.count - i >= 8 {
                bits |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                i += 8
            }
            while i < bytes.count {
                bits |= UInt64(bytes[i])
                i += 1
            }
            return bits & 0x8080_8080_8080_8080 == 0
        } ?? utf8.allSatisfy { $0 < 0x80 }
        return ascii ? utf8.count : count
    }
}

import YAML

/// Reads a spec: YAML text → `Spec`, with every problem found reported as a `Diagnostic`.
public enum SpecLoader {
    public static let topKeys = KeyTables.top.names
    public static let stackKeys = KeyTables.stack.names
    public static let envKeys = KeyTables.env.names
    public static let repositoryKeys = KeyTables.repository.names
    public static var defaultsKeys: [String] {
        repositoryKeys.filter { $0 != "id" && $0 != "repositoryName" && $0 != "stack" }
    }
    public static let authorizationTokenKeys = KeyTables.authorizationToken.names

    /// Parses and validates. The spec is returned only when there is no error.
    public static func load(_ bytes: [UInt8], limits: ParseLimits = .default) -> (spec: Spec?, diagnostics: [Diagnostic]) {
        let root: Node?
        do {
            root = try YAMLParser.parse(bytes, limits: limits)
        } catch {
            return (nil, error.problems.map(\.diagnostic))
        }
        return load(root: root)
    }

    /// Validates a parsed document (nil: a stream with no document). `prefetched` holds repositories
    /// decoded while it was parsed, used where they were decoded against this document's own
    /// `stack` and `defaults`.
    public static func load(root: Node?, prefetched: RepositoryPrefetch? = nil) -> (spec: Spec?, diagnostics: [Diagnostic]) {
        guard let root, !root.isNull else {
            return (nil, [.error("spec is empty; it needs at least 'version', 'stack' and 'repositories'", at: .start)])
        }
        let findings = Findings()
        let spec = decode(root, findings, prefetched: prefetched)
        let diagnostics = findings.diagnostics.normalized()
        return (diagnostics.hasErrors ? nil : spec, diagnostics)
    }

    static func decode(_ root: Node, _ findings: Findings, prefetched: RepositoryPrefetch? = nil) -> Spec? {
        guard let top = Fields(root, known: topKeys, what: "the spec", findings: findings) else { return nil }
        if let v = top.require("version", what: "the spec") {
            if case .scalar("1", .plain) = v.kind, v.tag == nil || v.tag == "tag:yaml.org,2002:int" {} else {
                findings.error("'version' must be 1, got \(Fields.shown(v))", at: v.mark)
            }
        }
        let stack = top.require("stack", what: "the spec").flatMap { decodeStack($0, findings) }

        let defaults = top.value("defaults").map { defaultPairs($0, findings) } ?? []

        var repositories: [Repository] = []
        if let list = top.require("repositories", what: "the spec") {
            if let items = list.sequence {
                if items.isEmpty {
                    findings.error("'repositories' must list at least one repository", at: list.mark)
                }
                let env = stack?.env
                // Repositories are independent until the checks across them below: decoded while the
                // spec was parsed, or now in parallel.
                let early = prefetched?.decoded(stack: top.value("stack"), defaults: top.value("defaults"), repositories: list)
                var decoded = early ?? Parallel.map(items.count) { [defaults] i in
                    let own = Findings()
                    let repo = RepositoryDecoder(findings: own, env: env).decode(items[i], defaults: defaults)
                    return (repo, own.diagnostics)
                }
                repositories.reserveCapacity(decoded.count)
                // Moved out, not copied: a copy of a repository retains all it holds.
                for i in decoded.indices {
                    findings.diagnostics += decoded[i].1
                    if let repo = decoded[i].0.take() { repositories.append(repo) }
                }
            } else {
                findings.error("'repositories' must be a list, got \(list.kindDescription)", at: list.mark)
            }
        }
        checkUnique(repositories, findings)
        if let stack {
            checkTagCount(stack: stack, repositories, findings)
            for repo in repositories {
                guard let pin = repo.stack else { continue }
                let n = pin.value.dropFirst(stack.name.value.count + 1)
                let ok = pin.value == stack.name.value
                    || (pin.value.hasPrefix(stack.name.value + "-") && !n.isEmpty && n.utf8.allSatisfy(isDigit) && n.first != "0" && Int(n) ?? 0 >= 2)
                if !ok {
                    findings.error(
                        "'stack' must name one of this spec's stacks: '\(stack.name.value)' or '\(stack.name.value)-N' with N >= 2, got '\(pin.value)'",
                        at: pin.mark)
                }
            }
        }

        var tokenReaders: [Located<Principal>] = []
        if let at = top.value("authorizationToken"),
           let fields = Fields(at, known: authorizationTokenKeys, what: "authorizationToken", findings: findings),
           let items = fields.list("grantRead") {
            for item in items {
                guard let p = decodePrincipal(item, findings) else { continue }
                switch p.value {
                case .role, .user: break
                default:
                    findings.warning(
                        "authorizationToken.grantRead to \(p.value.specText) changes nothing in this stack: "
                            + "only roles and users named here get an identity policy; grant 'ecr:GetAuthorizationToken' in the principal's own account",
                        at: p.mark)
                }
                tokenReaders.append(p)
            }
        }
        guard let stack else { return nil }
        return Spec(stack: stack, repositories: repositories, authorizationTokenReaders: tokenReaders)
    }

    /// The pairs of `defaults` that repositories inherit; problems with them are reported.
    static func defaultPairs(_ d: Node, _ findings: Findings) -> [Pair] {
        for pair in d.mapping ?? [] where ["id", "repositoryName", "stack"].contains(pair.key.scalar ?? "") {
            findings.error("'\(pair.key.scalar!)' cannot be set in defaults; each repository has its own", at: pair.key.mark)
        }
        guard let fields = Fields(d, known: repositoryKeys, what: "defaults", findings: findings) else { return [] }
        return (d.mapping ?? []).filter { p in
            p.key.scalar.map { fields.has($0) && defaultsKeys.contains($0) } ?? false
        }
    }

    // MARK: stack

    static func decodeStack(_ node: Node, _ findings: Findings) -> StackSpec? {
        guard let f = Fields(node, known: stackKeys, what: "stack", findings: findings) else { return nil }
        var name: Located<String>?
        if f.require("name", what: "stack") != nil, let n = f.string("name") {
            if checkStackName(n, findings) { name = n }
        }
        var description: String?
        if let d = f.string("description") {
            if d.value.utf8.count > 1024 {
                findings.error("'description' is \(d.value.utf8.count) bytes; CloudFormation allows at most 1024", at: d.mark)
            }
            description = d.value
        }
        var env: Environment?
        if let e = f.value("env") { env = decodeEnv(e, findings) }
        let tags = f.value("tags").map { decodeTags($0, findings) } ?? []
        guard let name else { return nil }
        return StackSpec(name: name, description: description, env: env, tags: tags)
    }

    static func checkStackName(_ n: Located<String>, _ findings: Findings) -> Bool {
        let s = n.value
        let ok = !s.isEmpty && s.utf8.count <= 128 && isASCIILetter(s.utf8.first!)
            && s.utf8.allSatisfy { isASCIILetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
        if !ok {
            findings.error(
                "stack name '\(s)' must start with a letter and hold only letters, digits and '-' (at most 128 characters)",
                at: n.mark)
        }
        return ok
    }

    static func decodeEnv(_ node: Node, _ findings: Findings) -> Environment? {
        guard let f = Fields(node, known: envKeys, what: "env", findings: findings) else { return nil }
        _ = f.require("account", what: "env")
        _ = f.require("region", what: "env")
        var ok = true
        let account = f.string("account")
        if let a = account, !isAccountID(a.value) {
            findings.error("'account' must be a 12-digit AWS account ID, got '\(a.value)'", at: a.mark)
            ok = false
        }
        let region = f.string("region")
        if let r = region, !isRegion(r.value) {
            findings.error("'region' must be an AWS Region such as 'eu-west-1', got '\(r.value)'", at: r.mark)
            ok = false
        }
        var partition = region.map { Environment.partition(ofRegion: $0.value) } ?? "aws"
        if let p = f.string("partition") {
            let known = ["aws", "aws-cn", "aws-us-gov"]
            if !known.contains(p.value) {
                var message = "'partition' must be one of 'aws', 'aws-cn', 'aws-us-gov', got '\(p.value)'"
                if let hint = suggestion(for: p.value, among: known) { message += "; did you mean '\(hint)'?" }
                findings.error(message, at: p.mark)
                ok = false
            } else if let r = region, isRegion(r.value), Environment.partition(ofRegion: r.value) != p.value {
                findings.error(
                    "region '\(r.value)' is in partition '\(Environment.partition(ofRegion: r.value))', not '\(p.value)'",
                    at: p.mark)
                ok = false
            }
            partition = p.value
        }
        guard ok, let account, let region else { return nil }
        return Environment(account: account.value, region: region.value, partition: partition)
    }

    // MARK: tags

    static func decodeTags(_ node: Node, _ findings: Findings) -> [Tag] {
        guard let pairs = node.mapping else {
            findings.error("'tags' must be a mapping of tag keys to values, got \(node.kindDescription)", at: node.mark)
            return []
        }
        var tags: [Tag] = []
        for pair in pairs {
            guard let key = pair.key.scalar, !pair.key.isNull else {
                findings.error("a tag key must be text, got \(pair.key.kindDescription)", at: pair.key.mark)
                continue
            }
            guard let value = pair.value.scalar, !pair.value.isNull else {
                findings.error("tag '\(key)' must have a text value, got \(pair.value.kindDescription)", at: pair.value.mark)
                continue
            }
            if key.isEmpty || key.count > 127 {
                findings.error("tag key '\(key)' must be 1 to 127 characters long", at: pair.key.mark)
            } else if key.lowercased().hasPrefix("aws:") {
                findings.error("tag key '\(key)' uses the reserved prefix 'aws:'", at: pair.key.mark)
            } else if !key.unicodeScalars.allSatisfy(isTagCharacter) {
                findings.error(
                    "tag key '\(key)' may hold only letters, digits, spaces and '_ . : / = + - @'", at: pair.key.mark)
            }
            if value.isEmpty || value.count > 255 {
                findings.error("tag '\(key)' must have a value of 1 to 255 characters", at: pair.value.mark)
            } else if !value.unicodeScalars.allSatisfy(isTagCharacter) {
                findings.error(
                    "value of tag '\(key)' may hold only letters, digits, spaces and '_ . : / = + - @'", at: pair.value.mark)
            }
            tags.append(Tag(key: key, value: value, mark: pair.key.mark))
        }
        return tags
    }

    static func checkTagCount(stack: StackSpec, _ repositories: [Repository], _ findings: Findings) {
        for repo in repositories where stack.tags.count + repo.tags.count > 50 {
            var keys = Set(stack.tags.map(\.key))
            for t in repo.tags { keys.insert(t.key) }
            if keys.count > 50 {
                findings.error(
                    "repository '\(repo.id.value)' would carry \(keys.count) tags with the stack's; AWS allows at most 50",
                    at: repo.tags.first?.mark ?? repo.mark)
            }
        }
    }

    // MARK: cross-repository checks

    static func checkUnique(_ repositories: [Repository], _ findings: Findings) {
        var ids: [String: Int] = [:], names: [String: Mark] = [:]
        ids.reserveCapacity(repositories.count)
        names.reserveCapacity(repositories.count)
        // By index: copying a whole repository for its id and name would retain all it holds.
        for i in repositories.indices {
            let id = repositories[i].id
            if let firstIndex = ids[id.value] {
                let first = repositories[firstIndex]
                let repo = repositories[i]
                var notes = [Diagnostic.Note("'\(id.value)' first used here", at: first.id.mark)]
                if repo.idIsDerived || first.idIsDerived {
                    notes.append(.init("the id of a repository without 'id' is derived from its repositoryName; set 'id' to tell them apart", at: repo.mark))
                }
                findings.error("duplicate repository id '\(id.value)'", at: id.mark, notes: notes)
            } else {
                ids[id.value] = i
            }
            if let name = repositories[i].repositoryName {
                if let first = names[name.value] {
                    findings.error("duplicate repositoryName '\(name.value)'", at: name.mark,
                                   notes: [.init("'\(name.value)' first used here", at: first)])
                } else {
                    names[name.value] = name.mark
                }
            }
        }
    }

    // MARK: principals

    static let principalKeys = KeyTables.principal.names

    static func decodePrincipal(_ node: Node, _ findings: Findings) -> Located<Principal>? {
        guard let f = Fields(node, known: principalKeys, what: "a principal", findings: findings) else { return nil }
        var given: [String] = []
        for pair in node.mapping ?? [] {
            if let key = pair.key.scalar, f.has(key) { given.append(key) }
        }
        guard given.count == 1, let kind = given.first, let text = f.string(kind) else {
            if given.count != 1 {
                findings.error(
                    "a principal has exactly one of 'role', 'user', 'arn', 'account', 'service'; found \(given.count)",
                    at: node.mark)
            }
            return nil
        }
        let v = text.value
        switch kind {
        case "role", "user":
            if !isIAMName(v) {
                findings.error(
                    "\(kind) name '\(v)' must be 1 to 64 letters, digits or '+=,.@_-'", at: text.mark)
                return nil
            }
            return Located(kind == "role" ? .role(v) : .user(v), at: node.mark)
        case "arn":
            if !isPrincipalARN(v) {
                findings.error(
                    "'\(v)' is not an IAM principal ARN such as 'arn:aws:iam::123456789012:role/NAME'", at: text.mark)
                return nil
            }
            return Located(.arn(v), at: node.mark)
        case "account":
            if !isAccountID(v) {
                findings.error("'account' must be a 12-digit AWS account ID, got '\(v)'", at: text.mark)
                return nil
            }
            return Located(.account(v), at: node.mark)
        default:
            if !isServicePrincipal(v) {
                findings.error("'\(v)' is not a service principal such as 'codebuild.amazonaws.com'", at: text.mark)
                return nil
            }
            return Located(.service(v), at: node.mark)
        }
    }
}

// MARK: character classes and patterns

func isASCIILetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
func isLowerAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || isDigit(b) }

func isAccountID(_ s: String) -> Bool { s.utf8.count == 12 && s.utf8.allSatisfy(isDigit) }

func isRegion(_ s: String) -> Bool {
    // e.g. eu-west-1, us-gov-west-1, cn-north-1, ap-southeast-3, us-isob-east-1: three or four parts
    // separated by '-', lowercase letters (two in the first) and then digits. One pass over the bytes.
    var finished = 0, length = 0, firstLength = 0
    var letters = true, digits = true
    for b in s.utf8 {
        if b == UInt8(ascii: "-") {
            guard length > 0, letters else { return false }
            if finished == 0 { firstLength = length }
            finished += 1
            length = 0
            letters = true
            digits = true
        } else {
            length += 1
            letters = letters && b >= 0x61 && b <= 0x7A
            digits = digits && isDigit(b)
        }
    }
    return (2...3).contains(finished) && length > 0 && digits && firstLength == 2
}

func isTagCharacter(_ u: Unicode.Scalar) -> Bool {
    if u.isASCII {
        let b = UInt8(u.value)
        return isASCIILetter(b) || isDigit(b) || b == 0x20 || "_.:/=+-@".utf8.contains(b)
    }
    if u.properties.isAlphabetic || u.properties.numericType != nil { return true }
    if u.properties.generalCategory == .spaceSeparator { return true }
    return "_.:/=+-@".unicodeScalars.contains(u)
}

func isIAMName(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy {
        isASCIILetter($0) || isDigit($0) || "+=,.@_-".utf8.contains($0)
    }
}

func isPrincipalARN(_ s: String) -> Bool {
    let parts = colonFields(s, maxSplits: 5)
    guard parts.count == 6, parts[0] == "arn", ["aws", "aws-cn", "aws-us-gov"].contains(String(parts[1])),
          parts[2] == "iam" || parts[2] == "sts", parts[3].isEmpty, isAccountID(String(parts[4])) else { return false }
    let resource = parts[5]
    return resource == "root" || resource.hasPrefix("role/") || resource.hasPrefix("user/")
        || resource.hasPrefix("assumed-role/") || resource.hasPrefix("federated-user/")
}

func isServicePrincipal(_ s: String) -> Bool {
    let suffixes = [".amazonaws.com", ".amazonaws.com.cn"]
    guard let suffix = suffixes.first(where: { s.hasSuffix($0) }) else { return false }
    let head = s.dropLast(suffix.count)
    return !head.isEmpty && head.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
}

/// The CDK's repository-name rule: `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`.
func isRepositoryNamePattern(_ s: String) -> Bool {
    // Components separated by '/', each of lowercase letters and digits with single '.', '_' or '-'
    // between them: one pass over the bytes.
    var previousWasSeparator = true
    for b in s.utf8 {
        if isLowerAlnum(b) {
            previousWasSeparator = false
        } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "/") {
            if previousWasSeparator { return false }
            previousWasSeparator = true
        } else {
            return false
        }
    }
    return !previousWasSeparator
}

/// The colon-separated fields of an ARN (empty fields kept), at most `maxSplits` + 1 of them.
public func colonFields(_ s: String, maxSplits: Int = .max) -> [Substring] {
    // The colons' byte offsets first (':' is ASCII, so each is a character boundary), then the
    // fields between them, indexed by offset: stepping a string's indices one by one is slow.
    var offsets: [Int] = []
    var text = s
    text.withUTF8 { bytes in
        for i in bytes.indices where bytes[i] == UInt8(ascii: ":") && offsets.count < maxSplits { offsets.append(i) }
    }
    var out: [Substring] = []
    out.reserveCapacity(offsets.count + 1)
    var start = s.startIndex
    for offset in offsets {
        let colon = s.utf8.index(s.startIndex, offsetBy: offset)
        out.append(s[start..<colon])
        start = s.utf8.index(after: colon)
    }
    out.append(s[start...])
    return out
}

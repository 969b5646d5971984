import YAML

/// Decodes a raw IAM statement for a repository policy, keeping its keys and values as written.
struct PolicyStatementDecoder {
    let findings: Findings

    static let keys = KeyTables.policyStatement.names
    static let principalKinds = ["AWS", "Service", "Federated", "CanonicalUser"]

    func decode(_ node: Node) -> Located<JSONValue>? {
        guard let f = Fields(node, known: Self.keys, what: "a policy statement", findings: findings) else { return nil }
        var ok = true
        if let sid = f.string("Sid"), !sid.value.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) }) {
            findings.error("'Sid' may hold only letters and digits, got '\(sid.value)'", at: sid.mark)
            ok = false
        }
        if let effect = f.require("Effect", what: "a policy statement") {
            if effect.scalar != "Allow" && effect.scalar != "Deny" {
                findings.error("'Effect' must be 'Allow' or 'Deny', got \(Fields.shown(effect))", at: effect.mark)
                ok = false
            }
        } else {
            ok = false
        }
        if !f.has("Action") && !f.has("NotAction") {
            findings.error("a policy statement needs 'Action' or 'NotAction'", at: node.mark)
            ok = false
        }
        if !f.has("Principal") && !f.has("NotPrincipal") {
            findings.error("a repository policy statement needs a 'Principal' (or 'NotPrincipal')", at: node.mark)
            ok = false
        }
        for key in ["Resource", "NotResource"] where f.has(key) {
            findings.warning("ECR repository policies take no '\(key)'; ECR has rejected policies with one", at: f.keyMark(key)!)
        }
        for key in ["Action", "NotAction"] {
            guard let v = f.value(key) else { continue }
            guard let actions = stringOrList(v, key: key) else { ok = false; continue }
            for a in actions where !checkAction(a) { ok = false }
        }
        for key in ["Principal", "NotPrincipal"] {
            guard let v = f.value(key) else { continue }
            if !checkPrincipal(v, key: key) { ok = false }
        }
        if let c = f.value("Condition"), !checkCondition(c) { ok = false }
        if let p = f.value("Principal"), f.value("Effect")?.scalar == "Allow", allowsEveryone(p), !f.has("Condition") {
            findings.warning("this statement allows every AWS principal ('*') with no condition", at: p.mark)
        }
        if f.value("Effect")?.scalar == "Allow", let v = f.value("Action"), let actions = stringOrList(v, key: "Action") {
            for a in actions where a.value == "*" || a.value.lowercased() == "ecr:*" {
                findings.warning("'\(a.value)' allows every ECR action, including DeleteRepository and SetRepositoryPolicy; list the actions needed",
                                 at: a.mark)
            }
        }
        guard ok, let value = json(node) else { return nil }
        return Located(value, at: node.mark)
    }

    func stringOrList(_ v: Node, key: String) -> [Located<String>]? {
        if let s = v.scalar, !v.isNull { return [Located(s, at: v.mark)] }
        guard let items = v.sequence, !items.isEmpty else {
            findings.error("'\(key)' must be a string or a non-empty list of strings", at: v.mark)
            return nil
        }
        var out: [Located<String>] = []
        for item in items {
            guard let s = item.scalar, !item.isNull else {
                findings.error("'\(key)' must be a string or a list of strings; this item is \(item.kindDescription)", at: item.mark)
                return nil
            }
            out.append(Located(s, at: item.mark))
        }
        return out
    }

    func checkAction(_ a: Located<String>) -> Bool {
        if a.value == "*" { return true }
        let parts = a.value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            findings.error("'\(a.value)' is not an IAM action such as 'ecr:BatchGetImage'", at: a.mark)
            return false
        }
        guard parts[0].lowercased() == "ecr" else { return true }
        let name = String(parts[1])
        if ECRActions.matches(name, in: ECRActions.repository + ECRActions.registry).isEmpty {
            var message = "unknown ECR action '\(a.value)'"
            if let hint = suggestion(for: name, among: ECRActions.repository) { message += "; did you mean 'ecr:\(hint)'?" }
            findings.error(message, at: a.mark)
            return false
        }
        return true
    }

    func checkPrincipal(_ v: Node, key: String) -> Bool {
        if v.scalar == "*" { return true }
        guard let pairs = v.mapping, !pairs.isEmpty else {
            findings.error("'\(key)' must be '*' or a mapping such as {AWS: ARN} or {Service: NAME}", at: v.mark)
            return false
        }
        var ok = true
        for pair in pairs {
            guard let kind = pair.key.scalar, Self.principalKinds.contains(kind) else {
                let k = pair.key.scalar ?? ""
                var message = "unknown principal type '\(k)'; expected 'AWS', 'Service', 'Federated' or 'CanonicalUser'"
                if let hint = suggestion(for: k, among: Self.principalKinds) { message = "unknown principal type '\(k)'; did you mean '\(hint)'?" }
                findings.error(message, at: pair.key.mark)
                ok = false
                continue
            }
            if stringOrList(pair.value, key: kind) == nil { ok = false }
        }
        return ok
    }

    func checkCondition(_ v: Node) -> Bool {
        guard let operators = v.mapping else {
            findings.error("'Condition' must be a mapping of operators to keys and values", at: v.mark)
            return false
        }
        var ok = true
        for op in operators {
            guard let keys = op.value.mapping else {
                findings.error("condition operator '\(op.key.scalar ?? "")' must map condition keys to values", at: op.value.mark)
                ok = false
                continue
            }
            for k in keys where stringOrList(k.value, key: k.key.scalar ?? "") == nil { ok = false }
        }
        return ok
    }

    func allowsEveryone(_ p: Node) -> Bool {
        if p.scalar == "*" { return true }
        for pair in p.mapping ?? [] where pair.key.scalar == "AWS" {
            if pair.value.scalar == "*" || (pair.value.sequence ?? []).contains(where: { $0.scalar == "*" }) { return true }
        }
        return false
    }

    /// The statement as JSON: mappings keep their order, scalars stay strings.
    func json(_ node: Node) -> JSONValue? {
        switch node.kind {
        case .scalar(let s, _): return .string(s)
        case .sequence(let items):
            var out: [JSONValue] = []
            for item in items {
                guard let j = json(item) else { return nil }
                out.append(j)
            }
            return .array(out)
        case .mapping(let pairs):
            var out: [(String, JSONValue)] = []
            for pair in pairs {
                guard let k = pair.key.scalar, let j = json(pair.value) else { return nil }
                out.append((k, j))
            }
            return .object(out)
        }
    }
}

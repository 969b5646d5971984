import ECRSpec

/// `ecrsynth explain` output: text for people (what a reviewer reads in a pull request) and JSON
/// for tools, in a stable key order.
public enum ExplainRenderer {
    // MARK: Text

    public static func text(_ e: Explanation) -> String {
        var out: [String] = []
        for (n, stack) in e.stacks.enumerated() {
            if n > 0 { out.append("") }
            let split = e.stacks.count > 1 ? " (stack \(n + 1) of \(e.stacks.count))" : ""
            out.append("Stack \(stack.name)\(split): \(stack.template)")
            if let d = stack.description { out.append("  description: \(d)") }
            out.append("  environment: \(stack.environmentText)")
            out.append("  repositories: \(Explainer.list(stack.repositories.map { "'\($0.id)'" }))")
            if !stack.identityPolicies.isEmpty {
                out.append("  identity policies of existing roles and users:")
                for p in stack.identityPolicies { out.append("    - \(p.text)") }
            }
            for r in stack.repositories {
                out.append("")
                out += repositoryLines(r)
            }
        }
        out.append("")
        if e.authorizationToken.isEmpty {
            out.append("docker login (ecr:GetAuthorizationToken): granted to nobody by this spec")
        } else {
            out.append("docker login (ecr:GetAuthorizationToken on \"*\"):")
            for t in e.authorizationToken { out.append("  - \(t.text)") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func repositoryLines(_ r: RepositoryExplanation) -> [String] {
        var out = ["  Repository '\(r.id)' (logical ID \(r.logicalID))"]
        func fact(_ label: String, _ text: String) {
            out.append("    " + (label + ":").explainPadded(20) + text)
        }
        fact("name", r.name.text)
        fact("stack", r.stack)
        fact("encryption", r.encryption.text)
        fact("scanning", r.scanning.text)
        fact("tag mutability", r.tagMutability.text)
        fact("removal", r.removal.text)
        if let registry = r.lifecycleRegistryId { fact("lifecycle registry", "\(registry) (lifecycleRegistryId)") }
        fact("tags", r.tags.isEmpty ? "none" : r.tags.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))

        if r.lifecycle.isEmpty {
            out.append("    lifecycle rules: none; images stay until someone deletes them")
        } else {
            out.append("    lifecycle rules, in the order ECR applies them:")
            var reordered = false
            for (i, rule) in r.lifecycle.enumerated() {
                var line = "      \(i + 1). priority \(rule.priority): \(rule.text)"
                if let d = rule.description, !d.isEmpty { line += " (\"\(d)\")" }
                if rule.written != i + 1 {
                    line += " [rule \(rule.written) as written]"
                    reordered = true
                }
                out.append(line)
            }
            if r.lifecycle.count > 1 {
                out.append("      each image is handled by the first of these rules that selects it: later rules leave alone the images an earlier rule selects, even those it keeps")
            }
            if reordered {
                out.append("      ECR goes by priority, not by the order the rules are written in")
            }
        }
        if r.access.isEmpty {
            out.append("    access: none granted by this spec")
        } else {
            out.append("    access:")
            for a in r.access { out.append("      - \(a.text)") }
        }
        if r.events.isEmpty {
            out.append("    events: none")
        } else {
            out.append("    events:")
            for e in r.events {
                out.append("      - \(e.text)")
                for t in e.targets { out.append("        → \(t.text)") }
            }
        }
        return out
    }

    // MARK: JSON

    public static func json(_ e: Explanation) -> String {
        JSONWriter.pretty(jsonValue(e))
    }

    public static func jsonValue(_ e: Explanation) -> JSONValue {
        .object([
            ("version", .int(1)),
            ("stack", .string(e.stackName)),
            ("stacks", .array(e.stacks.map(stackJSON))),
            ("authorizationToken", .array(e.authorizationToken.map { t in
                .object([
                    ("principal", .string(t.principal.specText)),
                    ("policy", t.policy.map(JSONValue.string) ?? .null),
                    ("stack", t.stack.map(JSONValue.string) ?? .null),
                    ("file", t.file.map(JSONValue.string) ?? .null),
                    ("reasons", strings(t.reasons)),
                    ("text", .string(t.text)),
                ])
            })),
        ])
    }

    static func stackJSON(_ s: StackExplanation) -> JSONValue {
        .object([
            ("name", .string(s.name)),
            ("template", .string(s.template)),
            ("description", s.description.map(JSONValue.string) ?? .null),
            ("env", s.env.map { env in
                .object([("account", .string(env.account)), ("region", .string(env.region)), ("partition", .string(env.partition))])
            } ?? .null),
            ("environmentText", .string(s.environmentText)),
            ("identityPolicies", .array(s.identityPolicies.map { p in
                .object([
                    ("principal", .string(p.principal.specText)),
                    ("logicalId", .string(p.logicalID)),
                    ("file", .string(p.file)),
                    ("repositories", strings(p.repositories)),
                    ("authorizationToken", .bool(p.authorizationToken)),
                    ("text", .string(p.text)),
                ])
            })),
            ("repositories", .array(s.repositories.map(repositoryJSON))),
        ])
    }

    static func repositoryJSON(_ r: RepositoryExplanation) -> JSONValue {
        let rules: [JSONValue] = r.lifecycle.map(ruleJSON)
        let access: [JSONValue] = r.access.map(accessJSON)
        let events: [JSONValue] = r.events.map(eventJSON)
        let tags: [(String, JSONValue)] = r.tags.map { ($0.key, JSONValue.string($0.value)) }
        var o: [(String, JSONValue)] = []
        o.append(("id", .string(r.id)))
        o.append(("logicalId", .string(r.logicalID)))
        o.append(("repositoryName", optional(r.repositoryName)))
        o.append(("stack", .string(r.stack)))
        o.append(("encryption", fact(r.encryption)))
        o.append(("scanning", fact(r.scanning)))
        o.append(("tagMutability", fact(r.tagMutability)))
        o.append(("removal", fact(r.removal)))
        o.append(("lifecycleRegistryId", optional(r.lifecycleRegistryId)))
        o.append(("tags", .object(tags)))
        o.append(("lifecycleRules", .array(rules)))
        o.append(("access", .array(access)))
        o.append(("events", .array(events)))
        return .object(o)
    }

    static func ruleJSON(_ rule: RuleExplanation) -> JSONValue {
        var o: [(String, JSONValue)] = []
        o.append(("priority", .int(rule.priority)))
        o.append(("written", .int(rule.written)))
        o.append(("line", .int(rule.line)))
        o.append(("description", optional(rule.description)))
        o.append(("tagStatus", .string(rule.tagStatus.rawValue)))
        o.append(("tagPrefixList", rule.tagPrefixList.map(strings) ?? .null))
        o.append(("tagPatternList", rule.tagPatternList.map(strings) ?? .null))
        o.append(("storageClass", .string(rule.storageClass.rawValue)))
        o.append(("action", .string(rule.action.rawValue)))
        o.append(("countType", .string(rule.countType)))
        o.append(("countNumber", .int(rule.countNumber)))
        o.append(("text", .string(rule.text)))
        return .object(o)
    }

    static func accessJSON(_ a: AccessExplanation) -> JSONValue {
        var o: [(String, JSONValue)] = []
        o.append(("source", .string(a.source.rawValue)))
        o.append(("principal", .string(a.principal)))
        o.append(("effect", .string(a.effect)))
        o.append(("access", .string(a.access)))
        o.append(("actions", strings(a.actions)))
        o.append(("through", .string(a.through.rawValue)))
        o.append(("policy", .string(a.policy)))
        o.append(("file", .string(a.file)))
        o.append(("crossAccountFile", optional(a.crossAccountFile)))
        o.append(("authorizationToken", .bool(a.authorizationToken)))
        o.append(("line", .int(a.line)))
        o.append(("text", .string(a.text)))
        return .object(o)
    }

    static func eventJSON(_ e: EventExplanation) -> JSONValue {
        let targets: [JSONValue] = e.targets.map(targetJSON)
        var o: [(String, JSONValue)] = []
        o.append(("id", .string(e.id)))
        o.append(("kind", .string(e.kind)))
        o.append(("logicalId", .string(e.logicalID)))
        o.append(("imageTags", e.imageTags.map(strings) ?? .null))
        o.append(("targets", .array(targets)))
        o.append(("text", .string(e.text)))
        return .object(o)
    }

    static func targetJSON(_ t: TargetExplanation) -> JSONValue {
        var o: [(String, JSONValue)] = []
        o.append(("arn", .string(t.arn)))
        o.append(("service", .string(t.service)))
        o.append(("name", .string(t.name)))
        o.append(("account", .string(t.account)))
        o.append(("region", .string(t.region)))
        o.append(("delivery", .string(t.delivery.rawValue)))
        o.append(("logicalId", optional(t.logicalID)))
        o.append(("file", optional(t.file)))
        o.append(("text", .string(t.text)))
        return .object(o)
    }

    static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    /// An object fact gets its sentence as a last key `text`.
    static func fact(_ f: Fact) -> JSONValue {
        if case .object(let pairs) = f.value { return .object(pairs + [("text", .string(f.text))]) }
        return .object([("value", f.value), ("text", .string(f.text))])
    }

    static func strings(_ s: [String]) -> JSONValue { .array(s.map(JSONValue.string)) }
}

extension String {
    /// Right-padded with spaces to `width` characters.
    func explainPadded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}

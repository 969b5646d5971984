import ECRSpec

/// Plan → CloudFormation template, in the CDK's shapes and key order.
public enum TemplateRenderer {
    public static func template(_ plan: Plan) -> JSONValue {
        var resources: [(String, JSONValue)] = []
        for slot in plan.order {
            switch slot {
            case .repository(let i):
                resources += repositoryResources(plan.repositories[i])
            case .principalPolicy(let i):
                let p = plan.principalPolicies[i]
                resources.append((p.logicalID, principalPolicy(p)))
            }
        }
        var template = JSONObject()
        template.set("Description", plan.description.map(JSONValue.string))
        template.set("Resources", .object(resources))
        template.set("Outputs", outputs(plan))
        return template.json
    }

    /// The JSON template, byte for byte `JSONWriter.prettyBytes(template(plan))`, assembled from each
    /// repository's pre-rendered members; only the principal policies are written here.
    public static func templateJSON(_ plan: Plan) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plan.repositories.reduce(256) { $0 + $1.renderedResources.count + $1.renderedOutputs.count + 4 })
        out.append(UInt8(ascii: "{"))
        if let description = plan.description {
            JSONWriter.appendMembers([("Description", .string(description))], indent: 0, to: &out)
            out.append(UInt8(ascii: ","))
        }
        out.append(contentsOf: "\n \"Resources\": ".utf8)
        if plan.order.isEmpty {
            out.append(contentsOf: "{}".utf8)
        } else {
            out.append(UInt8(ascii: "{"))
            for (n, slot) in plan.order.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                switch slot {
                case .repository(let i):
                    out.append(contentsOf: plan.repositories[i].renderedResources)
                case .principalPolicy(let i):
                    let p = plan.principalPolicies[i]
                    JSONWriter.appendMembers([(p.logicalID, principalPolicy(p))], indent: 1, to: &out)
                }
            }
            out.append(contentsOf: "\n }".utf8)
        }
        if !plan.repositories.isEmpty {
            out.append(contentsOf: ",\n \"Outputs\": {".utf8)
            for (n, r) in plan.repositories.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: r.renderedOutputs)
            }
            out.append(contentsOf: "\n }".utf8)
        }
        out.append(contentsOf: "\n}\n".utf8)
        return out
    }

    /// Renders a repository's resources and outputs once, for `templateJSON` and the stack splitter.
    static func prerender(_ r: RepositoryPlan) {
        var resources: [UInt8] = []
        JSONWriter.appendMembers(repositoryResources(r), indent: 1, to: &resources)
        var outputs: [UInt8] = []
        JSONWriter.appendMembers(outputMembers(r), indent: 1, to: &outputs)
        r.renderedResources = resources
        r.renderedOutputs = outputs
    }

    /// A repository with its children: event rules and their Lambda permissions.
    static func repositoryResources(_ r: RepositoryPlan) -> [(String, JSONValue)] {
        var resources: [(String, JSONValue)] = [(r.logicalID, repository(r))]
        for e in r.events {
            resources.append((e.logicalID, eventRule(e, repo: r)))
            for (k, t) in e.targets.enumerated() {
                if let id = t.permissionLogicalID {
                    resources.append((id, lambdaPermission(t, rule: e)))
                }
                if let role = e.eventsRole, role.afterTarget == k {
                    resources += eventsRole(role, tags: r.tags)
                }
            }
        }
        return resources
    }

    static func repository(_ r: RepositoryPlan) -> JSONValue {
        let repo = r.repository
        var p = JSONObject()
        p.set("EmptyOnDelete", repo.emptyOnDelete.map(JSONValue.bool))
        if repo.encryption != .aes256 {
            var e = JSONObject()
            e.set("EncryptionType", .string(repo.encryption.rawValue))
            e.set("KmsKey", repo.encryptionKey.map(JSONValue.string))
            p.set("EncryptionConfiguration", e.json)
        }
        p.set("ImageScanningConfiguration", repo.imageScanOnPush.map { .object([("ScanOnPush", .bool($0))]) })
        p.set("ImageTagMutability", repo.imageTagMutability.map { .string($0.rawValue) })
        p.set("ImageTagMutabilityExclusionFilters", repo.exclusionFilters.map { filters in
            .array(filters.map {
                .object([("ImageTagMutabilityExclusionFilterType", .string("WILDCARD")),
                         ("ImageTagMutabilityExclusionFilterValue", .string($0))])
            })
        })
        if !r.lifecycle.isEmpty || repo.lifecycleRegistryId != nil {
            var l = JSONObject()
            l.set("LifecyclePolicyText", r.lifecyclePolicyText.map(JSONValue.string))
            l.set("RegistryId", repo.lifecycleRegistryId.map(JSONValue.string))
            p.set("LifecyclePolicy", l.json)
        }
        p.set("RepositoryName", repo.repositoryName.map { .string($0.value) })
        if !r.repositoryPolicy.isEmpty {
            p.set("RepositoryPolicyText", Planner.policyDocument(r.repositoryPolicy))
        }
        p.set("Tags", tags(r.tags))
        let policy = repo.removalPolicy == .destroy ? "Delete" : "Retain"
        var o = JSONObject()
        o.set("Type", .string("AWS::ECR::Repository"))
        if !p.isEmpty { o.set("Properties", p.json) }
        o.set("UpdateReplacePolicy", .string(policy))
        o.set("DeletionPolicy", .string(policy))
        return o.json
    }

    static func tags(_ tags: [Tag]) -> JSONValue? {
        guard !tags.isEmpty else { return nil }
        return .array(tags.map { .object([("Key", .string($0.key)), ("Value", .string($0.value))]) })
    }

    static func eventPattern(_ e: EventPlan, repo: RepositoryPlan) -> JSONValue {
        var detail = JSONObject()
        detail.set("repository-name", .array([.ref(repo.logicalID)]))
        let detailType: String
        switch e.rule.kind {
        case .imageScanCompleted:
            detailType = "ECR Image Scan"
            detail.set("scan-status", .array([.string("COMPLETE")]))
            detail.set("image-tags", e.rule.imageTags.map { .array($0.map(JSONValue.string)) })
        case .imagePushed:
            detailType = "ECR Image Action"
            detail.set("action-type", .array([.string("PUSH")]))
            detail.set("result", .array([.string("SUCCESS")]))
            detail.set("image-tag", e.rule.imageTags.map { .array($0.map(JSONValue.string)) })
        }
        return .object([
            ("source", .array([.string("aws.ecr")])),
            ("detail-type", .array([.string(detailType)])),
            ("detail", detail.json),
        ])
    }

    static func eventRule(_ e: EventPlan, repo: RepositoryPlan) -> JSONValue {
        var p = JSONObject()
        p.set("EventPattern", eventPattern(e, repo: repo))
        p.set("State", .string("ENABLED"))
        p.set("Tags", tags(repo.tags))
        if !e.targets.isEmpty {
            p.set("Targets", .array(e.targets.map { t in
                var o = JSONObject()
                o.set("Arn", .string(t.target.arn))
                o.set("Id", .string(t.targetID))
                if t.usesEventsRole, let role = e.eventsRole { o.set("RoleArn", .getAtt(role.roleLogicalID, "Arn")) }
                return o.json
            }))
        }
        return .object([("Type", .string("AWS::Events::Rule")), ("Properties", p.json)])
    }

    /// The role EventBridge assumes to put events on a bus, and its policy.
    static func eventsRole(_ role: EventsRole, tags: [Tag]) -> [(String, JSONValue)] {
        var props = JSONObject()
        props.set("AssumeRolePolicyDocument", Planner.policyDocument([
            Statement(actions: ["sts:AssumeRole"], principals: [.service("events.amazonaws.com")]),
        ]))
        props.set("Tags", self.tags(tags))
        let policy = Statement(actions: ["events:PutEvents"], resources: role.buses.map(JSONValue.string))
        return [
            (role.roleLogicalID, .object([("Type", .string("AWS::IAM::Role")), ("Properties", props.json)])),
            (role.policyLogicalID, .object([
                ("Type", .string("AWS::IAM::Policy")),
                ("Properties", .object([
                    ("PolicyDocument", Planner.policyDocument(minimize([policy]))),
                    ("PolicyName", .string(role.policyLogicalID)),
                    ("Roles", .array([.ref(role.roleLogicalID)])),
                ])),
            ])),
        ]
    }

    static func lambdaPermission(_ t: TargetPlan, rule: EventPlan) -> JSONValue {
        .object([
            ("Type", .string("AWS::Lambda::Permission")),
            ("Properties", .object([
                ("Action", .string("lambda:InvokeFunction")),
                ("FunctionName", .string(t.target.arn)),
                ("Principal", .string("events.amazonaws.com")),
                ("SourceArn", .getAtt(rule.logicalID, "Arn")),
            ])),
        ])
    }

    static func principalPolicy(_ p: PrincipalPolicy) -> JSONValue {
        var props = JSONObject()
        props.set("PolicyDocument", Planner.policyDocument(minimize(p.statements)))
        props.set("PolicyName", .string(p.policyName))
        switch p.principal {
        case .role(let n): props.set("Roles", .array([.string(n)]))
        case .user(let n): props.set("Users", .array([.string(n)]))
        default: break
        }
        return .object([("Type", .string("AWS::IAM::Policy")), ("Properties", props.json)])
    }

    /// Each repository's name, ARN and URI: what other stacks and pipelines need.
    static func outputs(_ plan: Plan) -> JSONValue? {
        guard !plan.repositories.isEmpty else { return nil }
        return .object(plan.repositories.flatMap(outputMembers))
    }

    static func outputMembers(_ r: RepositoryPlan) -> [(String, JSONValue)] {
        let base = LogicalID.alphanumeric(r.id)
        return [
            ("\(base)Name", .object([
                ("Description", .string("Name of repository \(r.id)")), ("Value", .ref(r.logicalID)),
            ])),
            ("\(base)Arn", .object([
                ("Description", .string("ARN of repository \(r.id)")), ("Value", .getAtt(r.logicalID, "Arn")),
            ])),
            ("\(base)Uri", .object([
                ("Description", .string("URI of repository \(r.id)")), ("Value", .getAtt(r.logicalID, "RepositoryUri")),
            ])),
        ]
    }
}

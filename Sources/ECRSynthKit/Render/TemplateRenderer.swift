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
                var builder = JSONValueBuilder()
                writePrincipalPolicy(plan.principalPolicies[i], to: &builder)
                resources += builder.members
            }
        }
        var template = JSONObject()
        template.set("Description", plan.description.map(JSONValue.string))
        template.set("Resources", .object(resources))
        template.set("Outputs", outputs(plan))
        return template.json
    }

    /// The JSON template, byte for byte `JSONWriter.prettyBytes(template(plan))`, in pieces: each
    /// repository's pre-rendered members as they are, the rest written here.
    public static func templateJSON(_ plan: Plan) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        chunks.reserveCapacity(plan.order.count * 2 + plan.repositories.count * 2 + 8)
        var head: [UInt8] = [UInt8(ascii: "{")]
        if let description = plan.description {
            var member = PrettyJSON(membersAt: 1)
            member.member("Description", description)
            head += member.bytes
            head.append(UInt8(ascii: ","))
        }
        head.append(contentsOf: "\n \"Resources\": ".utf8)
        if plan.order.isEmpty {
            head.append(contentsOf: "{}".utf8)
            chunks.append(head)
        } else {
            head.append(UInt8(ascii: "{"))
            chunks.append(head)
            for (n, slot) in plan.order.enumerated() {
                if n > 0 { chunks.append(comma) }
                switch slot {
                case .repository(let i):
                    chunks.append(plan.repositories[i].renderedResources)
                case .principalPolicy(let i):
                    var policy = PrettyJSON(membersAt: 2)
                    writePrincipalPolicy(plan.principalPolicies[i], to: &policy)
                    chunks.append(policy.bytes)
                }
            }
            chunks.append(Array("\n }".utf8))
        }
        if !plan.repositories.isEmpty {
            chunks.append(Array(",\n \"Outputs\": {".utf8))
            for (n, r) in plan.repositories.enumerated() {
                if n > 0 { chunks.append(comma) }
                chunks.append(r.renderedOutputs)
            }
            chunks.append(Array("\n }".utf8))
        }
        chunks.append(Array("\n}\n".utf8))
        return chunks
    }

    private static let comma: [UInt8] = [UInt8(ascii: ",")]

    /// Renders a repository's resources and outputs once, for `templateJSON` and the stack splitter.
    static func prerender(_ r: RepositoryPlan) {
        var resources = PrettyJSON(membersAt: 2, capacity: 8192)
        writeRepositoryResources(r, to: &resources)
        var outputs = PrettyJSON(membersAt: 2)
        writeOutputs(r, to: &outputs)
        // Kept at their size: the writing buffers' spare capacity would double what 10,000 of them hold.
        r.renderedResources = resources.bytes
        r.renderedOutputs = outputs.bytes
    }

    /// A repository with its children: event rules and their Lambda permissions.
    static func repositoryResources(_ r: RepositoryPlan) -> [(String, JSONValue)] {
        var builder = JSONValueBuilder()
        writeRepositoryResources(r, to: &builder)
        return builder.members
    }

    static func writeRepositoryResources<S: JSONSink>(_ r: RepositoryPlan, to s: inout S) {
        s.key(string: r.logicalID)
        writeRepository(r, to: &s)
        for e in r.events {
            s.key(string: e.logicalID)
            writeEventRule(e, repo: r, to: &s)
            for (k, t) in e.targets.enumerated() {
                if let id = t.permissionLogicalID {
                    s.key(string: id)
                    writeLambdaPermission(t, rule: e, to: &s)
                }
                if let role = e.eventsRole, role.afterTarget == k {
                    writeEventsRole(role, tags: r.tags, to: &s)
                }
            }
        }
    }

    static func writeRepository<S: JSONSink>(_ r: RepositoryPlan, to s: inout S) {
        let repo = r.repository
        let hasLifecycle = !r.lifecycle.isEmpty || repo.lifecycleRegistryId != nil
        let hasProperties = repo.emptyOnDelete != nil || repo.encryption != .aes256 || repo.imageScanOnPush != nil
            || repo.imageTagMutability != nil || repo.exclusionFilters != nil || hasLifecycle || repo.repositoryName != nil
            || !r.repositoryPolicy.isEmpty || !r.tags.isEmpty
        let policy = repo.removalPolicy == .destroy ? "Delete" : "Retain"
        s.object { s in
            s.member("Type", literal: "AWS::ECR::Repository")
            if hasProperties {
                s.member("Properties", object: { p in
                    if let e = repo.emptyOnDelete {
                        p.key("EmptyOnDelete")
                        p.bool(e)
                    }
                    if repo.encryption != .aes256 {
                        p.member("EncryptionConfiguration", object: { e in
                            e.member("EncryptionType", repo.encryption.rawValue)
                            if let key = repo.encryptionKey { e.member("KmsKey", key) }
                        })
                    }
                    if let scan = repo.imageScanOnPush {
                        p.member("ImageScanningConfiguration", object: {
                            $0.key("ScanOnPush")
                            $0.bool(scan)
                        })
                    }
                    if let m = repo.imageTagMutability { p.member("ImageTagMutability", m.rawValue) }
                    if let filters = repo.exclusionFilters {
                        p.member("ImageTagMutabilityExclusionFilters", array: { a in
                            for f in filters {
                                a.object {
                                    $0.member("ImageTagMutabilityExclusionFilterType", literal: "WILDCARD")
                                    $0.member("ImageTagMutabilityExclusionFilterValue", f)
                                }
                            }
                        })
                    }
                    if hasLifecycle {
                        p.member("LifecyclePolicy", object: { l in
                            if let text = r.lifecyclePolicyText { l.member("LifecyclePolicyText", text) }
                            if let registry = repo.lifecycleRegistryId { l.member("RegistryId", registry) }
                        })
                    }
                    if let name = repo.repositoryName { p.member("RepositoryName", name.value) }
                    if !r.repositoryPolicy.isEmpty {
                        p.key("RepositoryPolicyText")
                        Planner.writePolicyDocument(r.repositoryPolicy, to: &p)
                    }
                    writeTags(r.tags, to: &p)
                })
            }
            s.member("UpdateReplacePolicy", policy)
            s.member("DeletionPolicy", policy)
        }
    }

    /// `Tags`, when there are any.
    static func writeTags<S: JSONSink>(_ tags: [Tag], to s: inout S) {
        guard !tags.isEmpty else { return }
        s.member("Tags", array: { a in
            for t in tags {
                a.object {
                    $0.member("Key", t.key)
                    $0.member("Value", t.value)
                }
            }
        })
    }

    static func writeEventRule<S: JSONSink>(_ e: EventPlan, repo: RepositoryPlan, to s: inout S) {
        s.object { s in
            s.member("Type", literal: "AWS::Events::Rule")
            s.member("Properties", object: { p in
                p.member("EventPattern", object: { pattern in
                    pattern.member("source", array: { $0.literal("aws.ecr") })
                    pattern.member("detail-type", array: {
                        $0.string(e.rule.kind == .imageScanCompleted ? "ECR Image Scan" : "ECR Image Action")
                    })
                    pattern.member("detail", object: { d in
                        d.member("repository-name", array: { $0.ref(repo.logicalID) })
                        switch e.rule.kind {
                        case .imageScanCompleted:
                            d.member("scan-status", array: { $0.literal("COMPLETE") })
                            if let tags = e.rule.imageTags {
                                d.member("image-tags", array: { a in for t in tags { a.string(t) } })
                            }
                        case .imagePushed:
                            d.member("action-type", array: { $0.literal("PUSH") })
                            d.member("result", array: { $0.literal("SUCCESS") })
                            if let tags = e.rule.imageTags {
                                d.member("image-tag", array: { a in for t in tags { a.string(t) } })
                            }
                        }
                    })
                })
                p.member("State", literal: "ENABLED")
                writeTags(repo.tags, to: &p)
                if !e.targets.isEmpty {
                    p.member("Targets", array: { a in
                        for t in e.targets {
                            a.object { o in
                                o.member("Arn", t.target.arn)
                                o.member("Id", t.targetID)
                                if t.usesEventsRole, let role = e.eventsRole {
                                    o.key("RoleArn")
                                    o.getAtt(role.roleLogicalID, "Arn")
                                }
                            }
                        }
                    })
                }
            })
        }
    }

    /// The trust policy of every events role: EventBridge may assume it.
    static let eventsAssumeRolePolicy = [
        Statement(actions: ["sts:AssumeRole"], principals: [.service("events.amazonaws.com")]),
    ]

    /// The role EventBridge assumes to put events on a bus, and its policy.
    static func writeEventsRole<S: JSONSink>(_ role: EventsRole, tags: [Tag], to s: inout S) {
        s.key(string: role.roleLogicalID)
        s.object { s in
            s.member("Type", literal: "AWS::IAM::Role")
            s.member("Properties", object: { p in
                p.key("AssumeRolePolicyDocument")
                Planner.writePolicyDocument(eventsAssumeRolePolicy, to: &p)
                writeTags(tags, to: &p)
            })
        }
        let policy = Statement(actions: ["events:PutEvents"], resources: role.buses.map(JSONValue.string))
        s.key(string: role.policyLogicalID)
        s.object { s in
            s.member("Type", literal: "AWS::IAM::Policy")
            s.member("Properties", object: { p in
                p.key("PolicyDocument")
                Planner.writePolicyDocument([policy], to: &p)
                p.member("PolicyName", role.policyLogicalID)
                p.member("Roles", array: { $0.ref(role.roleLogicalID) })
            })
        }
    }

    static func writeLambdaPermission<S: JSONSink>(_ t: TargetPlan, rule: EventPlan, to s: inout S) {
        s.object { s in
            s.member("Type", literal: "AWS::Lambda::Permission")
            s.member("Properties", object: { p in
                p.member("Action", literal: "lambda:InvokeFunction")
                p.member("FunctionName", t.target.arn)
                p.member("Principal", literal: "events.amazonaws.com")
                p.key("SourceArn")
                p.getAtt(rule.logicalID, "Arn")
            })
        }
    }

    /// A principal's `AWS::IAM::Policy` as a member named by its logical ID.
    static func writePrincipalPolicy<S: JSONSink>(_ p: PrincipalPolicy, to s: inout S) {
        s.key(string: p.logicalID)
        s.object({ s in
            s.member("Type", literal: "AWS::IAM::Policy")
            s.member("Properties", object: { props in
                props.key("PolicyDocument")
                Planner.writePolicyDocument(minimize(p.statements), to: &props)
                props.member("PolicyName", p.policyName)
                switch p.principal {
                case .role(let n): props.member("Roles", array: { $0.string(n) })
                case .user(let n): props.member("Users", array: { $0.string(n) })
                default: break
                }
            })
        })
    }

    /// Each repository's name, ARN and URI: what other stacks and pipelines need.
    static func outputs(_ plan: Plan) -> JSONValue? {
        guard !plan.repositories.isEmpty else { return nil }
        return .object(plan.repositories.flatMap(outputMembers))
    }

    static func outputMembers(_ r: RepositoryPlan) -> [(String, JSONValue)] {
        var builder = JSONValueBuilder()
        writeOutputs(r, to: &builder)
        return builder.members
    }

    static func writeOutputs<S: JSONSink>(_ r: RepositoryPlan, to s: inout S) {
        let base = LogicalID.alphanumeric(r.id)
        /// One output: a `Ref` of the repository, or its `attribute`.
        func output(_ suffix: String, _ description: String, attribute: StaticString?) {
            s.key(string: base + suffix)
            s.object {
                $0.member("Description", description + r.id)
                $0.key("Value")
                if let attribute { $0.getAtt(r.logicalID, attribute) } else { $0.ref(r.logicalID) }
            }
        }
        output("Name", "Name of repository ", attribute: nil)
        output("Arn", "ARN of repository ", attribute: "Arn")
        output("Uri", "URI of repository ", attribute: "RepositoryUri")
    }
}

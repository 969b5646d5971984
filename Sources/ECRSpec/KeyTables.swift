/// The keys of every mapping in a spec: the one list the decoder checks keys against and the JSON
/// Schema is generated from, so a key added here is known to both.
public struct KeyTable: Sendable {
    public struct Key: Sendable {
        public var name: String
        public var description: String
        /// JSON Schema of the value (without `description`).
        public var schema: JSONValue
        public var required: Bool

        public init(_ name: String, _ description: String, _ schema: JSONValue, required: Bool = false) {
            self.name = name
            self.description = description
            self.schema = schema
            self.required = required
        }
    }

    public var title: String
    public var keys: [Key]

    public var names: [String] { keys.map(\.name) }
}

extension JSONValue {
    static func schema(_ pairs: (String, JSONValue)...) -> JSONValue { .object(pairs) }
    static let stringType: JSONValue = .schema(("type", .string("string")))
    static let booleanType: JSONValue = .schema(("type", .string("boolean")))
    static func enumeration(_ values: [String]) -> JSONValue {
        .schema(("type", .string("string")), ("enum", .array(values.map(JSONValue.string))))
    }
    static func pattern(_ p: String, examples: [String] = []) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", .string("string")), ("pattern", .string(p))]
        if !examples.isEmpty { pairs.append(("examples", .array(examples.map(JSONValue.string)))) }
        return .object(pairs)
    }
    static func integer(min: Int, max: Int? = nil) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", .string("integer")), ("minimum", .int(min))]
        if let max { pairs.append(("maximum", .int(max))) }
        return .object(pairs)
    }
    static func list(_ items: JSONValue, min: Int? = nil, max: Int? = nil) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", .string("array")), ("items", items)]
        if let min { pairs.append(("minItems", .int(min))) }
        if let max { pairs.append(("maxItems", .int(max))) }
        return .object(pairs)
    }
    static func ref(_ name: String) -> JSONValue { .schema(("$ref", .string("#/$defs/\(name)"))) }
}

public enum KeyTables {
    /// A string of 12 digits; editors that read YAML 1.2 see an unquoted account as an integer.
    static let account = JSONValue.schema(("type", .array([.string("string"), .string("integer")])),
                                          ("pattern", .string("^[0-9]{12}$")), ("examples", .array([.string("123456789012")])))
    static let duration = JSONValue.schema(("oneOf", .array([
        .pattern("^ *[0-9]+ *(d|day|days) *$", examples: ["30d", "30 days"]),
        .schema(("type", .string("object")), ("properties", .object([("days", .integer(min: 1))])),
                ("required", .array([.string("days")])), ("additionalProperties", .bool(false))),
    ])))
    static let stringList = JSONValue.list(.stringType)
    static let tags = JSONValue.schema(("type", .string("object")), ("maxProperties", .int(50)),
                                       ("propertyNames", .schema(("minLength", .int(1)), ("maxLength", .int(127)))),
                                       ("additionalProperties", .schema(("type", .string("string")), ("minLength", .int(1)), ("maxLength", .int(255)))))

    public static let top = KeyTable(title: "the spec", keys: [
        .init("version", "Spec format version; only 1 exists.", .schema(("const", .int(1))), required: true),
        .init("stack", "The CloudFormation stack the repositories are synthesized into.", .ref("stack"), required: true),
        .init("defaults", "Values for every repository (any repository key except id, repositoryName and stack); a repository's own value wins, lists are replaced and tags merged.", .ref("defaults")),
        .init("repositories", "The ECR repositories, at least one.", .list(.ref("repository"), min: 1), required: true),
        .init("authorizationToken", "Who may call ecr:GetAuthorizationToken (the CDK's AuthorizationToken.grantRead).", .ref("authorizationToken")),
    ])

    public static let stack = KeyTable(title: "stack", keys: [
        .init("name", "Stack name (letters, digits and '-', starting with a letter); the template is written to NAME.template.json.",
              .pattern("^[A-Za-z][A-Za-z0-9-]{0,127}$", examples: ["ContainerRegistry"]), required: true),
        .init("description", "The template's Description (at most 1024 bytes).", .schema(("type", .string("string")), ("maxLength", .int(1024)))),
        .init("env", "Account and Region; when set, ARNs in policy files are concrete.", .ref("env")),
        .init("tags", "Tags added to every repository and event rule (a repository's own tag wins).", tags),
    ])

    public static let env = KeyTable(title: "env", keys: [
        .init("account", "12-digit AWS account ID (quote it: \"012345678901\").", account, required: true),
        .init("region", "AWS Region, e.g. eu-west-1.", .pattern("^[a-z]{2}(-[a-z]+)+-[0-9]+$", examples: ["eu-west-1"]), required: true),
        .init("partition", "aws, aws-cn or aws-us-gov; defaults to the Region's partition.", .enumeration(["aws", "aws-cn", "aws-us-gov"])),
    ])

    public static let repository = KeyTable(title: "a repository", keys: [
        .init("id", "Construct id, the base of the logical IDs; defaults to the PascalCase of repositoryName.",
              .pattern("^[A-Za-z][A-Za-z0-9_-]{0,199}$", examples: ["Web"])),
        .init("repositoryName", "The repository's name; CloudFormation generates one when absent.",
              .pattern("^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$", examples: ["team/web"])),
        .init("imageScanOnPush", "Scan images for vulnerabilities when they are pushed.", .booleanType),
        .init("imageTagMutability", "Whether tags can be moved to another image.", .enumeration(TagMutability.allCases.map(\.rawValue))),
        .init("imageTagMutabilityExclusionFilters", "Wildcard tag filters exempt from the mutability setting; with and only with *_WITH_EXCLUSION.",
              .list(.pattern("^[0-9a-zA-Z._*-]{1,128}$", examples: ["latest", "dev-*"]), min: 1, max: 5)),
        .init("encryption", "Encryption at rest; AES256 by default, KMS when encryptionKey is set.", .enumeration(Encryption.allCases.map(\.rawValue))),
        .init("encryptionKey", "KMS key ARN, alias ARN, key ID or alias/NAME (KMS and KMS_DSSE only).", .stringType),
        .init("removalPolicy", "What happens to the repository when it leaves the stack.", .enumeration(RemovalPolicy.allCases.map(\.rawValue))),
        .init("emptyOnDelete", "Delete the images with the repository (true needs removalPolicy: destroy).", .booleanType),
        .init("lifecycleRegistryId", "Registry (account) ID of the lifecycle policy.", account),
        .init("tags", "The repository's tags (also on its event rules).", tags),
        .init("lifecycleRules", "Lifecycle rules in the order the CDK adds them (at most 50).", .list(.ref("lifecycleRule"), max: 50)),
        .init("onImageScanCompleted", "EventBridge rules on 'ECR Image Scan' COMPLETE events.", .list(.ref("eventRule"))),
        .init("onImagePushed", "EventBridge rules on 'ECR Image Action' PUSH events.", .list(.ref("eventRule"))),
        .init("grants", "Who may pull, push or read.", .list(.ref("grant"))),
        .init("resourcePolicy", "Extra IAM statements for the repository policy (no Resource element).", .list(.ref("policyStatement"))),
        .init("stack", "Pins the repository to one stack of a split spec: NAME or NAME-N.", .stringType),
    ])

    public static let lifecycleRule = KeyTable(title: "a lifecycle rule", keys: [
        .init("description", "Shown in the lifecycle policy.", .stringType),
        .init("rulePriority", "Explicit priority; rules without one are numbered after the highest explicit one.", .integer(min: 1)),
        .init("tagStatus", "Which images: tagged (needs a tag list), untagged or any; defaults to tagged with a tag list, else any.",
              .enumeration(TagStatus.allCases.map(\.rawValue))),
        .init("tagPrefixList", "Tag prefixes; every prefix must match some tag of the image.", stringList),
        .init("tagPatternList", "Tag patterns with '*' wildcards (at most four each); every pattern must match some tag.", stringList),
        .init("maxImageCount", "Keep this many images (countType imageCountMoreThan).", .integer(min: 1)),
        .init("maxImageAge", "Expire images pushed longer ago than this (sinceImagePushed).", duration),
        .init("maxTimeSinceLastPull", "Archive images not pulled for this long (sinceImagePulled; action: archive only).", duration),
        .init("maxTimeInArchive", "Expire images archived longer ago than this, at least 90 days (sinceImageTransitioned; storageClass: archive only).", duration),
        .init("storageClass", "Which storage class the rule selects.", .enumeration(StorageClass.allCases.map(\.rawValue))),
        .init("action", "expire deletes; archive moves to the archive storage class.", .enumeration(LifecycleAction.allCases.map(\.rawValue))),
    ])

    public static let eventRule = KeyTable(title: "an event rule", keys: [
        .init("id", "Construct id of the rule; defaults to ImageScanCompleted<n> or ImagePushed<n>.", .pattern("^[A-Za-z][A-Za-z0-9_-]*$")),
        .init("imageTags", "Only events for these tags.", .list(.stringType, min: 1)),
        .init("targets", "1 to 5 ARNs of SNS topics, SQS queues, Lambda functions or event buses.",
              .list(.pattern("^arn:aws[a-z-]*:(sns|sqs|lambda|events):"), min: 1, max: 5), required: true),
    ])

    public static let grant = KeyTable(title: "a grant", keys: [
        .init("principal", "Who: exactly one of role, user, arn, account, service.", .ref("principal"), required: true),
        .init("access", "pull, push, pullPush, read, or a list of ecr: actions.", .schema(("oneOf", .array([
            .enumeration(["pull", "push", "pullPush", "read"]),
            .list(.pattern("^ecr:[A-Za-z*?]+$"), min: 1),
        ]))), required: true),
    ])

    public static let principal = KeyTable(title: "a principal", keys: [
        .init("role", "An IAM role of the stack's account, by name.", .pattern("^[A-Za-z0-9+=,.@_-]{1,64}$")),
        .init("user", "An IAM user of the stack's account, by name.", .pattern("^[A-Za-z0-9+=,.@_-]{1,64}$")),
        .init("arn", "An IAM principal ARN (role, user, root, assumed role).", .pattern("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:")),
        .init("account", "A whole AWS account.", account),
        .init("service", "An AWS service principal.", .pattern("^[a-z0-9.-]+\\.amazonaws\\.com(\\.cn)?$", examples: ["codebuild.amazonaws.com"])),
    ])

    public static let authorizationToken = KeyTable(title: "authorizationToken", keys: [
        .init("grantRead", "Principals that may call ecr:GetAuthorizationToken.", .list(.ref("principal"))),
    ])

    public static let policyStatement = KeyTable(title: "a policy statement", keys: [
        .init("Sid", "Statement id (letters and digits).", .pattern("^[A-Za-z0-9]*$")),
        .init("Effect", "Allow or Deny.", .enumeration(["Allow", "Deny"]), required: true),
        .init("Principal", "'*' or a mapping of AWS, Service, Federated or CanonicalUser to principals.", .schema(("type", .array([.string("string"), .string("object")])))),
        .init("NotPrincipal", "Principals the statement does not apply to.", .schema(("type", .string("object")))),
        .init("Action", "IAM actions.", .schema(("type", .array([.string("string"), .string("array")])))),
        .init("NotAction", "IAM actions the statement does not apply to.", .schema(("type", .array([.string("string"), .string("array")])))),
        .init("Resource", "Not for repository policies (ECR has rejected them); a warning.", .schema(("type", .array([.string("string"), .string("array")])))),
        .init("NotResource", "Not for repository policies; a warning.", .schema(("type", .array([.string("string"), .string("array")])))),
        .init("Condition", "IAM condition operators and keys.", .schema(("type", .string("object")))),
    ])

    /// Every table, by the name the schema's `$defs` use.
    public static let all: [(String, KeyTable)] = [
        ("stack", stack), ("env", env), ("repository", repository), ("lifecycleRule", lifecycleRule),
        ("eventRule", eventRule), ("grant", grant), ("principal", principal), ("authorizationToken", authorizationToken),
        ("policyStatement", policyStatement),
    ]

    /// A JSON Schema (draft 2020-12) of the spec, for editors (`# yaml-language-server: $schema=…`).
    public static func jsonSchema() -> JSONValue {
        func object(_ table: KeyTable, exclude: Set<String> = [], requiredToo: Bool = true) -> JSONValue {
            var properties: [(String, JSONValue)] = []
            for key in table.keys where !exclude.contains(key.name) {
                var pairs: [(String, JSONValue)] = [("description", .string(key.description))]
                if case .object(let more) = key.schema { pairs += more }
                properties.append((key.name, .object(pairs)))
            }
            var pairs: [(String, JSONValue)] = [("type", .string("object")), ("properties", .object(properties))]
            let required = table.keys.filter { $0.required && !exclude.contains($0.name) }.map { JSONValue.string($0.name) }
            if requiredToo, !required.isEmpty { pairs.append(("required", .array(required))) }
            pairs.append(("additionalProperties", .bool(false)))
            return .object(pairs)
        }
        var defs: [(String, JSONValue)] = all.map { ($0.0, object($0.1)) }
        defs.insert(("defaults", object(repository, exclude: ["id", "repositoryName", "stack"])), at: 3)
        var root: [(String, JSONValue)] = [
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://ecrsynth.dev/schema/spec-v1.json")),
            ("title", .string("ecrsynth spec, version 1")),
            ("description", .string("Amazon ECR repositories, their lifecycle rules, event rules and grants, synthesized into CloudFormation by ecrsynth.")),
        ]
        if case .object(let pairs) = object(top) { root += pairs }
        root.append(("$defs", .object(defs)))
        return .object(root)
    }
}

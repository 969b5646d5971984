import YAML

/// A value with the position it was written at.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var mark: Mark

    public init(_ value: Value, at mark: Mark) {
        self.value = value
        self.mark = mark
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// A validated spec (version 1). Everything here has passed the checks of `SpecLoader`.
public struct Spec: Sendable {
    public var stack: StackSpec
    public var repositories: [Repository]
    /// Principals of `authorizationToken.grantRead`.
    public var authorizationTokenReaders: [Located<Principal>]

    public init(stack: StackSpec, repositories: [Repository], authorizationTokenReaders: [Located<Principal>]) {
        self.stack = stack
        self.repositories = repositories
        self.authorizationTokenReaders = authorizationTokenReaders
    }
}

public struct StackSpec: Sendable {
    public var name: Located<String>
    public var description: String?
    public var env: Environment?
    public var tags: [Tag]

    public init(name: Located<String>, description: String? = nil, env: Environment? = nil, tags: [Tag] = []) {
        self.name = name
        self.description = description
        self.env = env
        self.tags = tags
    }
}

public struct Environment: Sendable, Equatable {
    public var account: String
    public var region: String
    public var partition: String

    public init(account: String, region: String, partition: String) {
        self.account = account
        self.region = region
        self.partition = partition
    }

    /// The partition a region belongs to.
    public static func partition(ofRegion region: String) -> String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }
}

public struct Tag: Sendable, Equatable {
    public var key: String
    public var value: String
    public var mark: Mark

    public init(key: String, value: String, mark: Mark) {
        self.key = key
        self.value = value
        self.mark = mark
    }
}

public enum TagMutability: String, Sendable, CaseIterable {
    case mutable = "MUTABLE"
    case immutable = "IMMUTABLE"
    case mutableWithExclusion = "MUTABLE_WITH_EXCLUSION"
    case immutableWithExclusion = "IMMUTABLE_WITH_EXCLUSION"

    public var hasExclusions: Bool { self == .mutableWithExclusion || self == .immutableWithExclusion }
}

public enum Encryption: String, Sendable, CaseIterable {
    case aes256 = "AES256"
    case kms = "KMS"
    case kmsDSSE = "KMS_DSSE"
}

public enum RemovalPolicy: String, Sendable, CaseIterable {
    case retain, destroy
}

public struct Repository: Sendable {
    /// The construct id: given, or derived from `repositoryName`.
    public var id: Located<String>
    public var idIsDerived: Bool
    public var repositoryName: Located<String>?
    public var imageScanOnPush: Bool?
    public var imageTagMutability: TagMutability?
    public var exclusionFilters: [String]?
    /// The encryption in effect (`AES256` unless set, or `KMS` when a key is given).
    public var encryption: Encryption
    public var encryptionKey: String?
    public var removalPolicy: RemovalPolicy
    public var emptyOnDelete: Bool?
    public var lifecycleRegistryId: String?
    /// The repository's own tags (defaults merged in), without the stack's.
    public var tags: [Tag]
    public var lifecycleRules: [LifecycleRule]
    public var onImageScanCompleted: [EventRule]
    public var onImagePushed: [EventRule]
    /// All its event rules in the order the CDK adds them: scan-completed rules, then pushed ones
    /// (the two lists read one after the other, not joined into a new one).
    public var eventRules: FlattenSequence<[[EventRule]]> { [onImageScanCompleted, onImagePushed].joined() }
    public var grants: [Grant]
    public var resourcePolicy: [Located<JSONValue>]
    /// Pins the repository to one stack of a split spec (`NAME` or `NAME-N`).
    public var stack: Located<String>?
    public var mark: Mark

    public init(id: Located<String>, idIsDerived: Bool = false, repositoryName: Located<String>? = nil,
                imageScanOnPush: Bool? = nil, imageTagMutability: TagMutability? = nil,
                exclusionFilters: [String]? = nil, encryption: Encryption = .aes256, encryptionKey: String? = nil,
                removalPolicy: RemovalPolicy = .retain, emptyOnDelete: Bool? = nil, lifecycleRegistryId: String? = nil,
                tags: [Tag] = [], lifecycleRules: [LifecycleRule] = [], onImageScanCompleted: [EventRule] = [],
                onImagePushed: [EventRule] = [], grants: [Grant] = [], resourcePolicy: [Located<JSONValue>] = [],
                mark: Mark = .start) {
        self.id = id
        self.idIsDerived = idIsDerived
        self.repositoryName = repositoryName
        self.imageScanOnPush = imageScanOnPush
        self.imageTagMutability = imageTagMutability
        self.exclusionFilters = exclusionFilters
        self.encryption = encryption
        self.encryptionKey = encryptionKey
        self.removalPolicy = removalPolicy
        self.emptyOnDelete = emptyOnDelete
        self.lifecycleRegistryId = lifecycleRegistryId
        self.tags = tags
        self.lifecycleRules = lifecycleRules
        self.onImageScanCompleted = onImageScanCompleted
        self.onImagePushed = onImagePushed
        self.grants = grants
        self.resourcePolicy = resourcePolicy
        self.mark = mark
    }
}

public enum TagStatus: String, Sendable, CaseIterable {
    case tagged, untagged, any
}

public enum StorageClass: String, Sendable, CaseIterable {
    case standard, archive
}

public enum LifecycleAction: String, Sendable, CaseIterable {
    case expire, archive
}

/// The one limit a lifecycle rule has.
public enum LifecycleLimit: Sendable, Equatable {
    case maxImageCount(Int)
    case maxImageAge(days: Int)
    case maxTimeSinceLastPull(days: Int)
    case maxTimeInArchive(days: Int)

    public var countType: String {
        switch self {
        case .maxImageCount: "imageCountMoreThan"
        case .maxImageAge: "sinceImagePushed"
        case .maxTimeSinceLastPull: "sinceImagePulled"
        case .maxTimeInArchive: "sinceImageTransitioned"
        }
    }

    public var number: Int {
        switch self {
        case .maxImageCount(let n), .maxImageAge(let n), .maxTimeSinceLastPull(let n), .maxTimeInArchive(let n): n
        }
    }

    public var isCount: Bool {
        if case .maxImageCount = self { return true }
        return false
    }
}

public struct LifecycleRule: Sendable {
    public var description: String?
    public var rulePriority: Located<Int>?
    /// The tag status in effect: as written, or defaulted the CDK's way.
    public var tagStatus: TagStatus
    public var tagPrefixList: [String]?
    public var tagPatternList: [String]?
    public var limit: LifecycleLimit
    /// As written; nil renders no `storageClass` key (ECR's default, standard).
    public var storageClass: StorageClass?
    public var action: LifecycleAction
    public var mark: Mark

    public init(description: String? = nil, rulePriority: Located<Int>? = nil, tagStatus: TagStatus,
                tagPrefixList: [String]? = nil, tagPatternList: [String]? = nil, limit: LifecycleLimit,
                storageClass: StorageClass? = nil, action: LifecycleAction = .expire, mark: Mark = .start) {
        self.description = description
        self.rulePriority = rulePriority
        self.tagStatus = tagStatus
        self.tagPrefixList = tagPrefixList
        self.tagPatternList = tagPatternList
        self.limit = limit
        self.storageClass = storageClass
        self.action = action
        self.mark = mark
    }

    public var effectiveStorageClass: StorageClass { storageClass ?? .standard }
}

public enum EventKind: Sendable {
    case imageScanCompleted, imagePushed
}

public struct EventRule: Sendable {
    public var kind: EventKind
    public var id: Located<String>
    public var imageTags: [String]?
    public var targets: [Located<TargetARN>]
    public var mark: Mark

    public init(kind: EventKind, id: Located<String>, imageTags: [String]?, targets: [Located<TargetARN>], mark: Mark) {
        self.kind = kind
        self.id = id
        self.imageTags = imageTags
        self.targets = targets
        self.mark = mark
    }
}

/// An event target, known by its ARN.
public struct TargetARN: Sendable, Equatable, Hashable {
    public enum Service: String, Sendable {
        case sns, sqs, lambda, eventBus = "events"
    }

    public var arn: String
    public var service: Service
    public var partition: String
    public var region: String
    public var account: String
    /// Topic, queue, function or bus name.
    public var name: String

    public init(arn: String, service: Service, partition: String, region: String, account: String, name: String) {
        self.arn = arn
        self.service = service
        self.partition = partition
        self.region = region
        self.account = account
        self.name = name
    }
}

public enum Principal: Sendable, Equatable, Hashable {
    case role(String)
    case user(String)
    case arn(String)
    case account(String)
    case service(String)

    /// The principal as the spec writes it, e.g. `{role: ci-builder}`.
    public var specText: String {
        switch self {
        case .role(let n): "{role: \(n)}"
        case .user(let n): "{user: \(n)}"
        case .arn(let a): "{arn: \(a)}"
        case .account(let a): "{account: \(a)}"
        case .service(let s): "{service: \(s)}"
        }
    }
}

public enum Access: Sendable, Equatable {
    case pull, push, pullPush, read
    case actions([String])
}

public struct Grant: Sendable {
    public var principal: Located<Principal>
    public var access: Access
    public var mark: Mark

    public init(principal: Located<Principal>, access: Access, mark: Mark) {
        self.principal = principal
        self.access = access
        self.mark = mark
    }
}

/// A JSON value decoded from YAML for raw IAM statements: scalars stay strings.
public enum JSONValue: Sendable, Equatable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .string(let s): h.combine(0); h.combine(s)
        case .int(let i): h.combine(1); h.combine(i)
        case .double(let d): h.combine(5); h.combine(d)
        case .null: h.combine(6)
        case .bool(let b): h.combine(2); h.combine(b)
        case .array(let a): h.combine(3); h.combine(a)
        case .object(let o):
            h.combine(4)
            for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A string or a list of strings, as IAM writes action and resource lists.
    public var strings: [String]? {
        switch self {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                out.append(s)
            }
            return out
        default: return nil
        }
    }
}

import ECRSpec
import YAML

/// Everything decided about a spec before rendering: priorities, logical IDs, where each grant goes.
public struct Plan: Sendable {
    public var stackName: String
    /// The stack's place among the stacks of a split spec (0 for the first, which has the spec's name).
    public var stackIndex: Int = 0
    public var description: String?
    public var env: Environment?
    public var repositories: [RepositoryPlan]
    /// Identity policies of imported roles and users, in the order the CDK creates them.
    public var principalPolicies: [PrincipalPolicy]
    /// Template order: each repository with its children, and each principal policy where it was first used.
    public var order: [Slot]
    /// The identity policy file of each imported role and user: everything it may do in every stack,
    /// minimised, repository ARNs written out (what IAM's inline-policy limit is checked against).
    /// Only the first stack of a split spec holds them, as it holds the other policy files.
    public var identityPolicies: [IdentityPolicy] = []
    /// Identity policies another account must attach for its cross-account grants.
    public var externalPolicies: [ExternalPolicy]
    /// Statements the owners of imported event targets must add to their resource policies.
    public var targetPolicies: [TargetPolicy]

    public enum Slot: Sendable, Equatable {
        case repository(Int)
        case principalPolicy(Int)
    }
}

/// A repository's plan. A class: the whole plan, its stacks and the threads that render them share it
/// without copying its many fields; nothing changes it once `Planner` has made it.
public final class RepositoryPlan: @unchecked Sendable {
    public let repository: Repository
    public let logicalID: String
    public let lifecycle: [PlannedRule]
    /// `LifecyclePolicyText` of `lifecycle` (nil without rules).
    public let lifecyclePolicyText: String?
    /// Stack and repository tags, the repository's winning, in the CDK's order.
    public let tags: [Tag]
    public let events: [EventPlan]
    /// `RepositoryPolicyText` statements, minimised as the CDK does: from grants first, then `resourcePolicy`.
    public let repositoryPolicy: [Statement]
    /// The repository's ARN for policy files: concrete, or with `${…}` placeholders.
    public let arnForFiles: String
    /// The repository's resources and its outputs as the JSON template holds them (members written by
    /// `PrettyJSON` inside `Resources` and `Outputs`), made once by the planner: the stack
    /// splitter counts their bytes and the JSON template is assembled from them.
    public internal(set) var renderedResources: [UInt8] = []
    public internal(set) var renderedOutputs: [UInt8] = []

    init(repository: Repository, logicalID: String, lifecycle: [PlannedRule], lifecyclePolicyText: String?, tags: [Tag],
         events: [EventPlan], repositoryPolicy: [Statement], arnForFiles: String) {
        self.repository = repository
        self.logicalID = logicalID
        self.lifecycle = lifecycle
        self.lifecyclePolicyText = lifecyclePolicyText
        self.tags = tags
        self.events = events
        self.repositoryPolicy = repositoryPolicy
        self.arnForFiles = arnForFiles
    }

    public var id: String { repository.id.value }
}

public struct EventPlan: Sendable {
    public var rule: EventRule
    public var logicalID: String
    public var targets: [TargetPlan]
    /// The role EventBridge assumes to put events on event-bus targets (the CDK's `EventsRole`).
    public var eventsRole: EventsRole?
}

public struct EventsRole: Sendable {
    public var roleLogicalID: String
    public var policyLogicalID: String
    /// The event buses it may put events on, in the order the targets name them.
    public var buses: [String]
    /// The target after which the role appears in the template (the first event-bus target).
    public var afterTarget: Int
}

public struct TargetPlan: Sendable {
    public var target: TargetARN
    public var targetID: String
    /// Event buses are reached through the rule's events role.
    public var usesEventsRole: Bool = false
    /// The `AWS::Lambda::Permission` the CDK adds for a Lambda function in the stack's account.
    public var permissionLogicalID: String?
}

public struct PrincipalPolicy: Sendable {
    public var principal: Principal
    public var logicalID: String
    public var policyName: String
    public var statements: [Statement]
    /// For each statement, the index of the repository it grants on (nil: `GetAuthorizationToken`).
    public var origins: [Int?] = []
    /// Where the spec first grants to this principal.
    public var firstMark: Mark = .start

    /// `role-NAME` or `user-NAME`: the policy file's name.
    public var fileStem: String {
        switch principal {
        case .role(let n): "role-\(n)"
        case .user(let n): "user-\(n)"
        default: "principal"
        }
    }
}

public struct IdentityPolicy: Sendable {
    public var principal: Principal
    public var statements: [Statement]
    /// Characters of the policy without whitespace, as IAM counts them.
    public var size: Int
}

public struct ExternalPolicy: Sendable {
    public var principal: Principal
    public var account: String
    public var fileStem: String
    public var statements: [Statement]
}

public struct TargetPolicy: Sendable {
    public var target: TargetARN
    public var fileStem: String
    public var statements: [Statement]
}

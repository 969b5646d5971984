/// The IAM actions of Amazon ECR (service prefix `ecr`), as the IAM service authorization reference
/// lists them. Repository actions take a repository ARN; registry actions only `"*"`.
public enum ECRActions {
    public static let repository: [String] = [
        "BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage", "BatchGetRepositoryScanningConfiguration",
        "BatchImportUpstreamImage", "CompleteLayerUpload", "CreateRepository", "DeleteLifecyclePolicy",
        "DeleteRepository", "DeleteRepositoryPolicy", "DescribeImageReplicationStatus", "DescribeImageScanFindings",
        "DescribeImageSigningStatus", "DescribeImages", "DescribeRepositories", "GetDownloadUrlForLayer",
        "GetImageCopyStatus", "GetLifecyclePolicy", "GetLifecyclePolicyPreview", "GetRepositoryPolicy",
        "InitiateLayerUpload", "ListImages", "ListTagsForResource", "PutImage", "PutImageScanningConfiguration",
        "PutImageTagMutability", "PutLifecyclePolicy", "ReplicateImage", "SetRepositoryPolicy", "StartImageScan",
        "StartLifecyclePolicyPreview", "TagResource", "UntagResource", "UpdateImageStorageClass", "UploadLayerPart",
    ]

    public static let registry: [String] = [
        "CreatePullThroughCacheRule", "CreateRepositoryCreationTemplate", "DeletePullThroughCacheRule",
        "DeleteRegistryPolicy", "DeleteRepositoryCreationTemplate", "DeleteSigningConfiguration",
        "DeregisterPullTimeUpdateExclusion", "DescribePullThroughCacheRules", "DescribeRegistry",
        "DescribeRepositoryCreationTemplates", "GetAccountSetting", "GetAuthorizationToken", "GetRegistryPolicy",
        "GetRegistryScanningConfiguration", "GetSigningConfiguration", "ListPullTimeUpdateExclusions",
        "PutAccountSetting", "PutRegistryPolicy", "PutRegistryScanningConfiguration", "PutReplicationConfiguration",
        "PutSigningConfiguration", "RegisterPullTimeUpdateExclusion", "UpdatePullThroughCacheRule",
        "UpdateRepositoryCreationTemplate", "ValidatePullThroughCacheRule",
    ]

    public static let pull = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    public static let push = ["ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload",
                              "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]
    public static let read = ["ecr:DescribeRepositories", "ecr:DescribeImages"]
    /// Pull's actions, then push's new ones. One array made once: statements made from it share it,
    /// which `minimize` counts on to number it once.
    public static let pullPush: [String] = {
        var out = pull
        for a in push where !out.contains(a) { out.append(a) }
        return out
    }()

    /// Whether `pattern` (with IAM's `*` and `?` wildcards) matches a name in `names`.
    public static func matches(_ pattern: String, in names: [String]) -> [String] {
        names.filter { wildcardMatch(pattern.lowercased(), $0.lowercased()) }
    }
}

/// IAM-style wildcard match: `*` any run of characters, `?` one character.
public func wildcardMatch(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
            pi += 1; ti += 1
        } else if pi < p.count, p[pi] == "*" {
            star = pi; mark = ti; pi += 1
        } else if star >= 0 {
            pi = star + 1; mark += 1; ti = mark
        } else {
            return false
        }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
}

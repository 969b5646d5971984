import ECRSpec

/// One IAM policy statement, as the CDK's `PolicyStatement` holds it before rendering.
public struct Statement: Sendable, Equatable {
    /// A principal as a policy fragment (e.g. `{"AWS": ["arn:…"]}`) or the literal `"*"`, with the
    /// identity the CDK compares principals by.
    public struct PrincipalUnit: Sendable, Equatable {
        /// Equal keys mean the same principal when statements are merged.
        public var key: String
        public var isLiteralStar: Bool
        public var fragment: [(String, [JSONValue])]

        public static func == (a: PrincipalUnit, b: PrincipalUnit) -> Bool { a.key == b.key }

        public static let star = PrincipalUnit(key: "*", isLiteralStar: true, fragment: [])

        public static func arn(_ arn: String) -> PrincipalUnit {
            PrincipalUnit(key: "arn:" + arn, isLiteralStar: false, fragment: [("AWS", [.string(arn)])])
        }

        public static func service(_ name: String) -> PrincipalUnit {
            PrincipalUnit(key: "service:" + name, isLiteralStar: false, fragment: [("Service", [.string(name)])])
        }

        /// The CDK renders an account principal's ARN through a fresh token each time, so no two
        /// account principals ever compare equal; `instance` keeps them apart.
        public static func account(_ root: JSONValue, instance: Int) -> PrincipalUnit {
            PrincipalUnit(key: "account#\(instance)", isLiteralStar: false, fragment: [("AWS", [root])])
        }

        /// A principal written as raw JSON in `resourcePolicy`: equal only to identical raw JSON.
        public static func json(_ p: JSONValue) -> PrincipalUnit {
            if p.stringValue == "*" { return .star }
            guard case .object(let pairs) = p else { return .star }
            return PrincipalUnit(key: "json:" + JSONWriter.compact(p), isLiteralStar: false,
                                 fragment: pairs.map { ($0.0, ($0.1.strings ?? []).map(JSONValue.string)) })
        }
    }

    public var sid: String?
    public var effect: String = "Allow"
    public var actions: [String] = []
    public var notActions: [String] = []
    public var principals: [PrincipalUnit] = []
    public var notPrincipals: [PrincipalUnit] = []
    public var resources: [JSONValue] = []
    public var notResources: [JSONValue] = []
    public var condition: JSONValue?

    public init(sid: String? = nil, effect: String = "Allow", actions: [String] = [], principals: [PrincipalUnit] = [],
                resources: [JSONValue] = [], condition: JSONValue? = nil) {
        self.sid = sid
        self.effect = effect
        self.actions = actions
        self.principals = principals
        self.resources = resources
        self.condition = condition
    }

    /// A raw statement of the spec's `resourcePolicy` (`PolicyStatement.fromJson`).
    public init(json: JSONValue) {
        sid = json["Sid"]?.stringValue
        effect = json["Effect"]?.stringValue ?? "Allow"
        actions = json["Action"]?.strings ?? []
        notActions = json["NotAction"]?.strings ?? []
        resources = (json["Resource"]?.strings ?? []).map(JSONValue.string)
        notResources = (json["NotResource"]?.strings ?? []).map(JSONValue.string)
        condition = json["Condition"]
        principals = json["Principal"].map { [PrincipalUnit.json($0)] } ?? []
        notPrincipals = json["NotPrincipal"].map { [PrincipalUnit.json($0)] } ?? []
    }

    /// The statement as the CDK renders it: keys in alphabetical order, actions sorted and
    /// de-duplicated, one-element lists as scalars.
    public var cdkJSON: JSONValue {
        var o = JSONObject()
        o.set("Action", Statement.actionList(actions))
        o.set("Condition", condition)
        o.set("Effect", .string(effect))
        o.set("NotAction", Statement.actionList(notActions))
        o.set("NotPrincipal", Statement.principalJSON(notPrincipals))
        o.set("NotResource", Statement.valueList(notResources))
        o.set("Principal", Statement.principalJSON(principals))
        o.set("Resource", Statement.valueList(resources))
        o.set("Sid", sid.map(JSONValue.string))
        return o.json
    }

    /// The statement for a standalone policy file: the key order of AWS's documentation.
    public var documentJSON: JSONValue {
        var o = JSONObject()
        o.set("Sid", sid.map(JSONValue.string))
        o.set("Effect", .string(effect))
        o.set("Principal", Statement.principalJSON(principals))
        o.set("NotPrincipal", Statement.principalJSON(notPrincipals))
        o.set("Action", Statement.actionList(actions))
        o.set("NotAction", Statement.actionList(notActions))
        o.set("Resource", Statement.valueList(resources))
        o.set("NotResource", Statement.valueList(notResources))
        o.set("Condition", condition)
        return o.json
    }

    static func actionList(_ actions: [String]) -> JSONValue? {
        guard !actions.isEmpty else { return nil }
        return .scalarOrList(jsSorted(unique(actions)).map(JSONValue.string))
    }

    /// Resources (and principal values) render sorted by their JSON text, without repeats.
    static func valueList(_ values: [JSONValue]) -> JSONValue? {
        guard !values.isEmpty else { return nil }
        return .scalarOrList(sortedByJSON(unique(values)))
    }

    static func sortedByJSON(_ values: [JSONValue]) -> [JSONValue] {
        if values.count < 2 { return values }
        return jsSorted(values.map { (JSONWriter.compact($0), $0) }, by: \.0).map(\.1)
    }

    /// Principal keys sorted (`AWS` before `Service`), each key's values sorted without repeats.
    static func principalJSON(_ units: [PrincipalUnit]) -> JSONValue? {
        guard !units.isEmpty else { return nil }
        if units.contains(where: \.isLiteralStar) { return .string("*") }
        var merged: [String: [JSONValue]] = [:]
        for unit in units {
            for (key, values) in unit.fragment { merged[key, default: []] += values }
        }
        return .object(jsSorted(Array(merged.keys)).map { ($0, .scalarOrList(sortedByJSON(unique(merged[$0]!)))) })
    }

    /// Resolves placeholders: each resource is mapped (to a concrete ARN for a policy file).
    public func mapResources(_ f: (JSONValue) -> JSONValue) -> Statement {
        var s = self
        s.resources = resources.map(f)
        s.notResources = notResources.map(f)
        return s
    }
}

func unique<T: Hashable>(_ values: [T]) -> [T] {
    if values.count < 2 { return values }
    var seen = Set<T>()
    return values.filter { seen.insert($0).inserted }
}

/// JavaScript's default sort: by UTF-16 code units.
func jsSorted(_ values: [String]) -> [String] {
    jsSorted(values, by: { $0 })
}

/// Sorted by a text, in JavaScript's order for strings (UTF-16 code units). Without characters outside
/// the Basic Multilingual Plane (4-byte UTF-8 sequences) that is UTF-8 byte order, which is faster.
func jsSorted<T>(_ values: [T], by text: (T) -> String) -> [T] {
    if values.count < 2 { return values }
    let bmpOnly = values.allSatisfy { !text($0).utf8.contains { $0 >= 0xF0 } }
    if bmpOnly { return values.sorted { text($0).utf8.lexicographicallyPrecedes(text($1).utf8) } }
    return values.sorted { text($0).utf16.lexicographicallyPrecedes(text($1).utf16) }
}

/// The CDK's statement minimisation (`@aws-cdk/aws-iam:minimizePolicies`): repeatedly merge any
/// two statements with the same effect, no Sid, the same condition and equal sets in two of
/// actions, resources and principals; then drop statements that render identically.
///
/// The passes and their order are the CDK's (the result depends on them); each statement's sets
/// are reduced to keys once, so a comparison is a few string compares.
public func minimize(_ statements: [Statement]) -> [Statement] {
    // Nothing to merge with or to repeat.
    if statements.count < 2 { return statements }
    var s = statements.map(Comparable.init)
    var changed = true
    while changed {
        changed = false
        var i = 0
        while i < s.count {
            var j = i + 1
            while j < s.count {
                if s[i].canMerge(with: s[j]) {
                    s[i].merge(s[j])
                    s.remove(at: j)
                    changed = true
                } else {
                    j += 1
                }
            }
            i += 1
        }
    }
    var seen = Set<String>()
    return s.map(\.statement).filter { seen.insert(JSONWriter.compact($0.cdkJSON)).inserted }
}

/// A set of strings with a hash kept up to date (the sum of its members' hashes, which does not depend
/// on their order), so most unequal sets are told apart by one comparison.
private struct HashedSet: Equatable {
    private(set) var members: Set<String> = []
    private(set) var hash = 0

    init<S: Sequence>(_ elements: S) where S.Element == String {
        for e in elements { _ = insert(e) }
    }

    /// Adds `element`; true when it was new.
    mutating func insert(_ element: String) -> Bool {
        guard members.insert(element).inserted else { return false }
        hash &+= element.hashValue
        return true
    }

    static func == (a: HashedSet, b: HashedSet) -> Bool { a.hash == b.hash && a.members == b.members }
}

/// A statement with the sets the CDK compares statements by.
private struct Comparable {
    var statement: Statement
    var actions: HashedSet
    var resourceKeys: [String]
    var resources: HashedSet
    var principals: HashedSet
    /// Everything else that must be equal for a merge: effect, condition, the `Not…` lists.
    var fixed: String
    var hasStar: Bool

    init(_ st: Statement) {
        statement = st
        actions = HashedSet(st.actions)
        resourceKeys = st.resources.map(JSONWriter.compact)
        resources = HashedSet(resourceKeys)
        principals = HashedSet(st.principals.map(\.key))
        hasStar = st.principals.contains(where: \.isLiteralStar)
        if st.condition == nil, st.notActions.isEmpty, st.notResources.isEmpty, st.notPrincipals.isEmpty {
            fixed = st.effect
        } else {
            fixed = [st.effect, st.condition.map(JSONWriter.compact) ?? "",
                     st.notActions.sorted().joined(separator: "\u{0}"),
                     st.notResources.map(JSONWriter.compact).sorted().joined(separator: "\u{0}"),
                     st.notPrincipals.map(\.key).sorted().joined(separator: "\u{0}")].joined(separator: "\u{1}")
        }
    }

    func canMerge(with b: Comparable) -> Bool {
        guard statement.sid == nil, b.statement.sid == nil, hasStar == b.hasStar, fixed == b.fixed else { return false }
        let equal = (actions == b.actions ? 1 : 0) + (resources == b.resources ? 1 : 0) + (principals == b.principals ? 1 : 0)
        return equal >= 2
    }

    mutating func merge(_ b: Comparable) {
        // Actions render sorted and without repeats: the merged list keeps the order they come in.
        for a in b.statement.actions where actions.insert(a) {
            statement.actions.append(a)
        }
        for (r, k) in zip(b.statement.resources, b.resourceKeys) where resources.insert(k) {
            statement.resources.append(r)
            resourceKeys.append(k)
        }
        for p in b.statement.principals where principals.insert(p.key) {
            statement.principals.append(p)
        }
    }
}

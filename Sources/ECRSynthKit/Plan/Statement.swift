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

    /// Writes `cdkJSON` into a sink without building it first: the same members, in the same order.
    func writeCDK<S: JSONSink>(to s: inout S) {
        s.object { o in
            Statement.writeActions(actions, as: "Action", to: &o)
            if let condition { o.member("Condition", condition) }
            o.member("Effect", effect)
            Statement.writeActions(notActions, as: "NotAction", to: &o)
            if let p = Statement.principalJSON(notPrincipals) { o.member("NotPrincipal", p) }
            Statement.writeValues(notResources, as: "NotResource", to: &o)
            if let p = Statement.principalJSON(principals) { o.member("Principal", p) }
            Statement.writeValues(resources, as: "Resource", to: &o)
            if let sid { o.member("Sid", sid) }
        }
    }

    /// `actionList` as a member `key`, when there are actions.
    static func writeActions<S: JSONSink>(_ actions: [String], as key: StaticString, to s: inout S) {
        guard !actions.isEmpty else { return }
        writeScalarOrList(cdkActions(actions), as: key, to: &s) { $0.string($1) }
    }

    /// Actions without repeats, sorted as the CDK renders them. The access keywords' lists (what
    /// nearly every statement holds, sharing their arrays) are sorted once.
    static func cdkActions(_ actions: [String]) -> [String] {
        let address = actions.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        if address != 0 {
            for (known, sorted) in sortedAccessActions where known == address { return sorted }
        }
        return jsSorted(unique(actions))
    }

    /// The access keywords' action lists, by the address of their elements, each with its CDK form.
    private static let sortedAccessActions: [(UInt, [String])] =
        [ECRActions.pull, ECRActions.push, ECRActions.pullPush, ECRActions.read].map { list in
            (list.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, jsSorted(unique(list)))
        }

    /// `valueList` as a member `key`, when there are values.
    static func writeValues<S: JSONSink>(_ values: [JSONValue], as key: StaticString, to s: inout S) {
        guard !values.isEmpty else { return }
        writeScalarOrList(sortedByJSON(unique(values)), as: key, to: &s) { $0.value($1) }
    }

    /// A list as member `key`: one element as itself, more as an array (`JSONValue.scalarOrList`).
    static func writeScalarOrList<S: JSONSink, T>(_ list: [T], as key: StaticString, to s: inout S, _ write: (inout S, T) -> Void) {
        s.key(key)
        if list.count == 1 {
            write(&s, list[0])
        } else {
            s.beginArray()
            for item in list { write(&s, item) }
            s.endArray()
        }
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
        return .scalarOrList(cdkActions(actions).map(JSONValue.string))
    }

    /// Resources (and principal values) render sorted by their JSON text, without repeats.
    static func valueList(_ values: [JSONValue]) -> JSONValue? {
        guard !values.isEmpty else { return nil }
        return .scalarOrList(sortedByJSON(unique(values)))
    }

    static func sortedByJSON(_ values: [JSONValue]) -> [JSONValue] {
        if values.count < 2 { return values }
        // Strings that JSON writes as they are, in quotes (nearly all: ARNs), sort without being
        // written: their text is the string and a quote, and in these strings UTF-8 order is
        // JavaScript's.
        var plain: [String] = []
        plain.reserveCapacity(values.count)
        for v in values {
            guard case .string(let text) = v, isPlainInJSON(text) else {
                return jsSorted(values.map { (JSONWriter.compact($0), $0) }, by: \.0).map(\.1)
            }
            plain.append(text)
        }
        return plain.sorted(by: quotedPrecedes).map(JSONValue.string)
    }

    /// Principal keys sorted (`AWS` before `Service`), each key's values sorted without repeats.
    static func principalJSON(_ units: [PrincipalUnit]) -> JSONValue? {
        guard !units.isEmpty else { return nil }
        if units.contains(where: \.isLiteralStar) { return .string("*") }
        // One principal of one value (nearly all: a service, an account, a role): nothing to merge or sort.
        if units.count == 1, units[0].fragment.count == 1, units[0].fragment[0].1.count == 1 {
            return .object([(units[0].fragment[0].0, units[0].fragment[0].1[0])])
        }
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
    // Short lists (nearly all) are searched rather than hashed.
    if values.count <= 16 {
        var out: [T] = []
        out.reserveCapacity(values.count)
        for v in values where !out.contains(v) { out.append(v) }
        return out
    }
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
    if bmpOnly {
        // Lists are usually sorted already (the access keywords' actions are).
        var sorted = true
        for i in 1..<values.count where !utf8Precedes(text(values[i - 1]), text(values[i])) {
            sorted = false
            break
        }
        if sorted { return values }
        return values.sorted { utf8Precedes(text($0), text($1)) }
    }
    return values.sorted { text($0).utf16.lexicographicallyPrecedes(text($1).utf16) }
}

/// Whether JSON writes `s` as it is between its quotes (no quote, backslash or control character)
/// and it is all in the Basic Multilingual Plane (no 4-byte UTF-8 sequence), where UTF-8 order and
/// JavaScript's UTF-16 order agree.
func isPlainInJSON(_ s: String) -> Bool {
    var text = s
    return text.withUTF8 { bytes in
        !bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 >= 0xF0 }
    }
}

/// Whether `a` followed by a quote comes before `b` followed by a quote in UTF-8 byte order: the
/// order of their JSON texts when both are plain (`isPlainInJSON`).
func quotedPrecedes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { pa in
        b.withUTF8 { pb -> Bool in
            let n = min(pa.count, pb.count)
            for i in 0..<n where pa[i] != pb[i] { return pa[i] < pb[i] }
            // One is the start of the other: the shorter one's quote meets the longer one's next byte.
            if pa.count < pb.count { return UInt8(ascii: "\"") < pb[n] }
            if pb.count < pa.count { return pa[n] < UInt8(ascii: "\"") }
            return false
        }
    }
}

/// Whether `a` comes before `b` in UTF-8 byte order.
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    let fast = a.utf8.withContiguousStorageIfAvailable { pa in
        b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
            let n = min(pa.count, pb.count)
            for i in 0..<n where pa[i] != pb[i] { return pa[i] < pb[i] }
            return pa.count < pb.count
        }
    }
    if let fast, let fast { return fast }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
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
    var numbers = Numbering(expecting: statements.count)
    // A statement equal to the one before the last (a grant's token statement after each grant's)
    // numbers the same: it is copied rather than numbered again.
    var s: [Comparable] = []
    s.reserveCapacity(statements.count)
    for (i, st) in statements.enumerated() {
        if i >= 2, st == statements[i - 2] {
            var same = s[i - 2]
            same.statement = st
            s.append(same)
        } else {
            s.append(Comparable(st, &numbers))
        }
    }
    var changed = true
    while changed {
        changed = false
        var i = 0
        while i < s.count {
            var j = i + 1
            while j < s.count {
                if s[i].canMerge(with: s[j]) {
                    s[i].merge(s[j], &numbers)
                    s.remove(at: j)
                    changed = true
                } else {
                    j += 1
                }
            }
            i += 1
        }
    }
    // Among statements without a Sid, a condition, a Not… list or a `*` principal, two of equal text
    // have equal actions, resources and effects, so the loop above has merged them: nothing is left
    // to drop.
    if s.allSatisfy(\.isPlain) { return s.map(\.statement) }
    var seen = Set<String>()
    return s.map(\.statement).filter { seen.insert(JSONWriter.compact($0.cdkJSON)).inserted }
}

/// Numbers for the strings and the sets of strings one `minimize` compares: equal numbers, equal
/// sets, so a comparison is one integer comparison.
private struct Numbering {
    /// Texts (actions, principals, the JSON of other resources), strings among the resources and
    /// `Fn::GetAtt`s among them, numbered from one count: equal numbers, equal JSON text.
    private var strings: [String: Int]
    private var resourceStrings: [String: Int] = [:]
    private var getAtts: [GetAtt: Int] = [:]
    private var count = 0
    private var sets: [[Int]: Int]

    private struct GetAtt: Hashable {
        var id: String
        var attribute: String
    }
    /// The last few lists of actions numbered, by the address of their elements, with their numbers
    /// and sets: statements made from one access level share one array of actions, and a grant's
    /// statements alternate with the token statements. (While `minimize` numbers its input, every
    /// array of it is alive, so one address is one array.)
    private var recentActions: [(address: UnsafeRawPointer, count: Int, numbers: [Int], set: NumberedSet)] = []

    init(expecting count: Int) {
        strings = Dictionary(minimumCapacity: 4 * count + 8)
        getAtts = Dictionary(minimumCapacity: count + 4)
        sets = Dictionary(minimumCapacity: 3 * count + 8)
    }

    /// The numbers of `actions` and their set.
    mutating func number(actions: [String]) -> (numbers: [Int], set: NumberedSet) {
        let address = actions.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        if let address {
            for recent in recentActions where recent.address == address && recent.count == actions.count {
                return (recent.numbers, recent.set)
            }
        }
        let numbers = actions.map { number($0) }
        let set = NumberedSet(numbers, &self)
        if let address {
            if recentActions.count == 4 { recentActions.removeFirst() }
            recentActions.append((address, actions.count, numbers, set))
        }
        return (numbers, set)
    }

    /// The number of a resource, equal for resources of equal JSON text. A string or a `Fn::GetAtt`
    /// (nearly every resource) is looked up as it is, without writing its JSON.
    mutating func number(resource v: JSONValue) -> Int {
        switch v {
        case .string(let s):
            return Self.number(s, in: &resourceStrings, &count)
        case .object(let pairs) where pairs.count == 1 && pairs[0].0 == "Fn::GetAtt":
            if case .array(let parts) = pairs[0].1, parts.count == 2, let id = parts[0].stringValue,
               let attribute = parts[1].stringValue {
                return Self.number(GetAtt(id: id, attribute: attribute), in: &getAtts, &count)
            }
            return number(JSONWriter.compact(v))
        default:
            return number(JSONWriter.compact(v))
        }
    }

    mutating func number(_ s: String) -> Int {
        Self.number(s, in: &strings, &count)
    }

    private static func number<Key: Hashable>(_ key: Key, in table: inout [Key: Int], _ count: inout Int) -> Int {
        if let n = table[key] { return n }
        table[key] = count
        count += 1
        return count - 1
    }

    /// The number of a set, given its members' numbers in ascending order.
    mutating func number(set members: [Int]) -> Int {
        if let n = sets[members] { return n }
        sets[members] = sets.count
        return sets.count - 1
    }
}

/// A set of strings as the ascending numbers of its members, with the number of the whole set.
private struct NumberedSet {
    private(set) var members: [Int] = []
    private(set) var number = 0

    init(_ elements: [Int], _ numbers: inout Numbering) {
        members = elements.count < 2 ? elements : unique(elements).sorted()
        number = numbers.number(set: members)
    }

    /// Adds the members of `added` (in order) that are new; returns which were.
    mutating func insert(_ added: [Int], _ numbers: inout Numbering) -> [Bool] {
        var fresh: [Bool] = []
        fresh.reserveCapacity(added.count)
        var inserted = false
        for n in added {
            var low = 0, high = members.count
            while low < high {
                let mid = (low + high) / 2
                if members[mid] < n { low = mid + 1 } else { high = mid }
            }
            if low < members.count && members[low] == n {
                fresh.append(false)
            } else {
                members.insert(n, at: low)
                fresh.append(true)
                inserted = true
            }
        }
        if inserted { number = numbers.number(set: members) }
        return fresh
    }
}

/// A statement with the sets the CDK compares statements by.
private struct Comparable {
    var statement: Statement
    /// The numbers of the statement's actions, resources (by their JSON) and principals, in its order.
    var actionNumbers: [Int]
    var resourceNumbers: [Int]
    var principalNumbers: [Int]
    var actions: NumberedSet
    var resources: NumberedSet
    var principals: NumberedSet
    /// Everything else that must be equal for a merge (effect, condition, the `Not…` lists); nil for a
    /// statement with a Sid, which never merges.
    var fixed: Int?
    var hasStar: Bool
    /// No Sid, condition, `Not…` list or `*` principal.
    var isPlain = false

    init(_ st: Statement, _ numbers: inout Numbering) {
        statement = st
        (actionNumbers, actions) = numbers.number(actions: st.actions)
        resourceNumbers = st.resources.map { numbers.number(resource: $0) }
        principalNumbers = st.principals.map { numbers.number($0.key) }
        resources = NumberedSet(resourceNumbers, &numbers)
        principals = NumberedSet(principalNumbers, &numbers)
        hasStar = st.principals.contains(where: \.isLiteralStar)
        if st.sid != nil {
            fixed = nil
        } else if st.condition == nil, st.notActions.isEmpty, st.notResources.isEmpty, st.notPrincipals.isEmpty {
            fixed = numbers.number(st.effect)
            isPlain = !hasStar
        } else {
            fixed = numbers.number([st.effect, st.condition.map(JSONWriter.compact) ?? "",
                                    st.notActions.sorted().joined(separator: "\u{0}"),
                                    st.notResources.map(JSONWriter.compact).sorted().joined(separator: "\u{0}"),
                                    st.notPrincipals.map(\.key).sorted().joined(separator: "\u{0}")].joined(separator: "\u{1}"))
        }
    }

    func canMerge(with b: Comparable) -> Bool {
        guard let fixed, fixed == b.fixed, hasStar == b.hasStar else { return false }
        let equal = (actions.number == b.actions.number ? 1 : 0) + (resources.number == b.resources.number ? 1 : 0)
            + (principals.number == b.principals.number ? 1 : 0)
        return equal >= 2
    }

    mutating func merge(_ b: Comparable, _ numbers: inout Numbering) {
        // Lists render sorted and without repeats: each merged list keeps the order they come in.
        Self.absorb(b.statement.actions, b.actionNumbers, b.actions, into: &statement.actions, &actionNumbers, &actions, &numbers)
        Self.absorb(b.statement.resources, b.resourceNumbers, b.resources, into: &statement.resources, &resourceNumbers, &resources, &numbers)
        Self.absorb(b.statement.principals, b.principalNumbers, b.principals, into: &statement.principals, &principalNumbers, &principals, &numbers)
    }

    /// Appends the members of `added` (with their numbers) that `set` does not hold yet.
    private static func absorb<T>(_ added: [T], _ addedNumbers: [Int], _ addedSet: NumberedSet,
                                  into items: inout [T], _ itemNumbers: inout [Int], _ set: inout NumberedSet,
                                  _ numbers: inout Numbering) {
        guard set.number != addedSet.number else { return }
        for ((item, n), new) in zip(zip(added, addedNumbers), set.insert(addedNumbers, &numbers)) where new {
            items.append(item)
            itemNumbers.append(n)
        }
    }
}

import ECRSpec
@testable import ECRSynthKit
import Testing
import YAML

@Suite struct LogicalIDTests {
    @Test func cdkExamples() {
        #expect(LogicalID.make(["Repository", "Resource"]) == "Repository22E53BBD")
        #expect(LogicalID.make(["Repo", "Resource"]) == "Repo02AC86CF")
        #expect(LogicalID.make(["Repository", "ImageScanComplete", "Resource"]) == "RepositoryImageScanComplete3F87F580")
        #expect(LogicalID.make(["TeamBaseImages", "Resource"]) == "TeamBaseImagesB8A1B39C")
        #expect(LogicalID.make(["ImportedUser-deployer", "Policy", "Resource"]) == "ImportedUserdeployerPolicy19557F31")
    }

    @Test func singleComponentIsKeptAsIs() {
        #expect(LogicalID.make(["My-Output"]) == "MyOutput")
    }

    @Test func importedRolePolicyName() {
        let (id, name) = Planner.policyIDs(stack: "PlatformRegistry", principal: .role("ci-builder"))
        #expect(name == "PolicyPlatformRegistryImportedRolecibuilder719DC9BA")
        #expect(id == "ImportedRolecibuilderPolicyPlatformRegistryImportedRolecibuilder719DC9BAB0A57FAA")
    }

    @Test func humanPartIsCut() {
        let id = LogicalID.make([String(repeating: "a", count: 300), "Resource"])
        #expect(id.count == 248)
    }
}

private func rule(_ status: TagStatus, priority: Int? = nil, prefixes: [String]? = nil, _ limit: LifecycleLimit,
                  storage: StorageClass? = nil, action: LifecycleAction = .expire, line: Int = 1) -> LifecycleRule {
    LifecycleRule(rulePriority: priority.map { Located($0, at: Mark(line: line, column: 1)) }, tagStatus: status,
                  tagPrefixList: prefixes, limit: limit, storageClass: storage, action: action, mark: Mark(line: line, column: 1))
}

@Suite struct LifecyclePlannerTests {
    @Test func seedText() {
        let (planned, d) = LifecyclePlanner.plan([
            rule(.tagged, prefixes: ["prod"], .maxImageCount(9999)), rule(.any, .maxImageAge(days: 30)),
        ])
        #expect(d.isEmpty)
        #expect(LifecyclePlanner.policyText(planned) ==
            #"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":9999},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countNumber":30,"countUnit":"days"},"action":{"type":"expire"}}]}"#)
    }

    /// CDK test "mixing numbered and unnumbered rules".
    @Test func mixingNumberedAndUnnumbered() {
        let (planned, _) = LifecyclePlanner.plan([
            rule(.tagged, prefixes: ["a"], .maxImageCount(5)), rule(.tagged, priority: 10, prefixes: ["b"], .maxImageCount(5)),
        ])
        #expect(planned.map(\.priority) == [10, 11])
        #expect(planned.map { $0.rule.tagPrefixList! } == [["b"], ["a"]])
    }

    /// CDK test "tagstatus Any is automatically sorted to the back".
    @Test func anyRuleGoesLast() {
        let (planned, _) = LifecyclePlanner.plan([
            rule(.any, .maxImageCount(5)), rule(.tagged, prefixes: ["important"], .maxImageCount(999)),
        ])
        #expect(planned.map(\.rule.tagStatus) == [.tagged, .any])
        #expect(planned.map(\.priority) == [1, 2])
    }

    @Test func explicitPrioritiesKeepWrittenOrder() {
        let (planned, _) = LifecyclePlanner.plan([
            rule(.tagged, priority: 10, prefixes: ["a"], .maxImageCount(1)), rule(.tagged, priority: 5, prefixes: ["b"], .maxImageCount(1)),
            rule(.untagged, .maxImageAge(days: 1)), rule(.any, .maxImageCount(3)),
        ])
        #expect(planned.map(\.priority) == [10, 5, 11, 12])
    }

    @Test func prioritizedAnyWithUnprioritizedRules() {
        let (_, d) = LifecyclePlanner.plan([rule(.tagged, prefixes: ["a"], .maxImageCount(1)), rule(.any, priority: 7, .maxImageCount(3), line: 9)])
        #expect(d.map(\.message) == ["the 'any' rule has a 'rulePriority' but other rules have none; remove 'rulePriority' from the 'any' rule"])
    }

    @Test func anyMustBeHighest() {
        let (_, d) = LifecyclePlanner.plan([rule(.tagged, priority: 5, prefixes: ["a"], .maxImageCount(1)), rule(.any, priority: 2, .maxImageCount(3))])
        #expect(d.map(\.message) == ["the 'any' rule must have the highest priority, has 2 which is smaller than 5"])
    }

    @Test func duplicatePriorities() {
        let (_, d) = LifecyclePlanner.plan([
            rule(.tagged, priority: 3, prefixes: ["a"], .maxImageCount(1), line: 1),
            rule(.tagged, priority: 3, prefixes: ["b"], .maxImageCount(1), line: 2),
        ])
        #expect(d.map(\.message) == ["duplicate rulePriority 3; ECR requires a unique priority per rule"])
        #expect(d.first?.mark.line == 2)
        #expect(d.first?.notes.first?.mark.line == 1)
    }

    @Test func archiveRulesRenderInTheSameStyle() {
        let (planned, d) = LifecyclePlanner.plan([
            rule(.any, .maxTimeSinceLastPull(days: 90), action: .archive),
            rule(.any, .maxTimeInArchive(days: 365), storage: .archive),
        ])
        #expect(d.isEmpty)
        #expect(LifecyclePlanner.policyText(planned) ==
            #"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"sinceImagePulled","countNumber":90,"countUnit":"days"},"action":{"type":"transition","targetStorageClass":"archive"}},{"rulePriority":2,"selection":{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countNumber":365,"countUnit":"days"},"action":{"type":"expire"}}]}"#)
    }
}

@Suite struct CollationTests {
    /// The order the CDK's tags come out in (JavaScript localeCompare, ICU root).
    @Test func matchesLocaleCompare() {
        let expected = ["_", "-x", ".x", "~x", "10", "1a", "2", "a", "A", "Ä", "a b", "a:b", "a@b", "a/b", "a+b", "a=b",
                        "a1", "A1", "aa", "aws-cdk:x", "aws:x", "AWS:y", "e", "E", "é", "É", "f", "z", "Z"]
        #expect(expected.reversed().sorted(by: Collation.precedes) == expected)
        #expect(expected.shuffled().sorted(by: Collation.precedes) == expected)
    }

    /// ASCII text is keyed byte by byte with a table; the key is the one reading its scalars gives,
    /// for every ASCII character and for random ASCII strings.
    @Test func asciiKeysAreTheScalarKeys() {
        for code in 0..<128 {
            let text = String(UnicodeScalar(UInt8(code)))
            #expect(Collation.key(text) == Collation.scalarKey(text), "\(code)")
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let text = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in Character(UnicodeScalar(UInt8.random(in: 0..<128, using: &rng))) })
            #expect(Collation.key(text) == Collation.scalarKey(text), "\(text.debugDescription)")
        }
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesLikeJSONStringify() {
        #expect(JSONWriter.compact(.string("a/b \"q\" \\ \n\t\u{01} café")) == #""a/b \"q\" \\ \n\t\u0001 café""#)
    }

    @Test func membersWrittenInPiecesReadAsTheWholeObject() {
        let members: [(String, JSONValue)] = [("a\"b", .array([.int(12), .bool(false), .string("x\ny\u{01}é/")])), ("b", .object([])),
                                              ("c", .array([])), ("d", .object([("e", .null)]))]
        let whole = JSONWriter.prettyBytes(.object([("top", .object(members))]))
        var pieces: [UInt8] = Array("{\n \"top\": {".utf8)
        var first = PrettyJSON(membersAt: 2), rest = PrettyJSON(membersAt: 2)
        for (key, value) in members[..<1] {
            first.key(string: key)
            first.value(value)
        }
        for (key, value) in members[1...] {
            rest.key(string: key)
            rest.value(value)
        }
        pieces += first.bytes
        pieces.append(UInt8(ascii: ","))
        pieces += rest.bytes
        pieces.append(contentsOf: "\n }\n}\n".utf8)
        #expect(String(decoding: pieces, as: UTF8.self) == String(decoding: whole, as: UTF8.self))
    }

    /// Keys and strings written in the code (`StaticString`, not escaped) read the same as the same
    /// text written as run-time strings (escaped), pretty and compact.
    @Test func textWrittenInTheCodeReadsAsRunTimeText() {
        func write<S: JSONTextSink>(_ s: inout S, fixed: Bool) {
            s.object { o in
                if fixed { o.member("Type", literal: "AWS::IAM::Role") } else { o.key(string: "Type"); o.string("AWS::IAM::Role") }
                if fixed { o.key("Fn::GetAtt") } else { o.key(string: "Fn::GetAtt") }
                o.beginArray()
                if fixed { o.literal("") } else { o.string("") }
                o.getAtt("Id", "Arn")
                o.endArray()
            }
        }
        var pretty = (PrettyJSON(membersAt: 1), PrettyJSON(membersAt: 1))
        write(&pretty.0, fixed: true)
        write(&pretty.1, fixed: false)
        #expect(pretty.0.text == pretty.1.text)
        #expect(pretty.0.text.contains(#""Fn::GetAtt": [\#n   "",\#n   {\#n    "Fn::GetAtt": [\#n     "Id",\#n     "Arn""#))
        var compact = (CompactJSON(), CompactJSON())
        write(&compact.0, fixed: true)
        write(&compact.1, fixed: false)
        #expect(compact.0.text == compact.1.text)
        #expect(compact.0.text == #"{"Type":"AWS::IAM::Role","Fn::GetAtt":["",{"Fn::GetAtt":["Id","Arn"]}]}"#)
    }

    /// Containers nested deeper than the 64 levels whose "no element yet" flags fit in one word,
    /// some empty and some not at every level, written token by token through both sinks, read as
    /// the same tree written by `JSONWriter`.
    @Test func deepNestingReadsAsTheTree() {
        var rng = SystemRandomNumberGenerator()
        func tree(_ depth: Int) -> JSONValue {
            if depth == 0 { return .int(depth) }
            let inner = tree(depth - 1)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return .array([inner])
            case 1: return .array([.bool(true), inner, .array([])])
            case 2: return .object([("k", inner)])
            default: return .object([("e", .object([])), ("k", inner), ("s", .string("x"))])
            }
        }
        func emit<S: JSONSink>(_ v: JSONValue, _ s: inout S) {
            switch v {
            case .array(let items):
                s.beginArray()
                for item in items { emit(item, &s) }
                s.endArray()
            case .object(let members):
                s.beginObject()
                for (key, value) in members {
                    s.key(string: key)
                    emit(value, &s)
                }
                s.endObject()
            default:
                s.value(v)
            }
        }
        for depth in [63, 64, 65, 130] {
            let v = tree(depth)
            var compact = CompactJSON()
            emit(v, &compact)
            #expect(compact.text == JSONWriter.compact(v), "depth \(depth)")
            var pretty = PrettyJSON(membersAt: 1)
            pretty.key(string: "top")
            emit(v, &pretty)
            let whole = JSONWriter.pretty(.object([("top", v)]))
            #expect("{" + pretty.text + "\n}\n" == whole, "depth \(depth)")
        }
    }

    @Test func prettyUsesOneSpaceAndAFinalNewline() {
        let v: JSONValue = .object([("a", .array([.int(1), .bool(true)])), ("b", .object([])), ("c", .array([]))])
        #expect(JSONWriter.pretty(v) == "{\n \"a\": [\n  1,\n  true\n ],\n \"b\": {},\n \"c\": []\n}\n")
    }
}

@Suite struct MinimizeTests {
    let token = Statement(actions: ["ecr:GetAuthorizationToken"], resources: [.string("*")])

    @Test func samePullOnTwoRepositoriesMerges() {
        let a = Statement(actions: ECRActions.pull, resources: [.getAtt("RepoTwo", "Arn")])
        let b = Statement(actions: ECRActions.pull, resources: [.getAtt("RepoOne", "Arn")])
        let out = minimize([a, token, b, token])
        #expect(out.count == 2)
        #expect(JSONWriter.compact(out[0].cdkJSON) ==
            #"{"Action":["ecr:BatchCheckLayerAvailability","ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"],"Effect":"Allow","Resource":[{"Fn::GetAtt":["RepoOne","Arn"]},{"Fn::GetAtt":["RepoTwo","Arn"]}]}"#)
        #expect(out[1] == token)
    }

    /// Every member a statement can have, lists of one and of several, written through a sink and as a
    /// `JSONValue`: the same text, pretty and compact.
    @Test func writingThroughASinkReadsAsTheJSONValue() {
        var full = Statement(sid: "All", effect: "Deny", actions: ["ecr:B", "ecr:A", "ecr:B"],
                             principals: [.arn("arn:aws:iam::1:role/b"), .arn("arn:aws:iam::1:role/a"), .service("x.amazonaws.com")],
                             resources: [.getAtt("R", "Arn"), .string("*"), .getAtt("R", "Arn")],
                             condition: .object([("Bool", .object([("aws:SecureTransport", .string("false"))]))]))
        full.notActions = ["ecr:Z"]
        full.notResources = [.string("arn:b"), .string("arn:a")]
        full.notPrincipals = [.arn("arn:aws:iam::2:root")]
        let star = Statement(actions: ["ecr:ListImages"], principals: [.star, .arn("arn:aws:iam::1:role/a")])
        for statements in [[full], [star], [full, star], [Statement(actions: ["ecr:A"])], []] {
            var compact = CompactJSON()
            Planner.writePolicyDocument(statements, to: &compact)
            let value = JSONValue.object([("Statement", .array(statements.map(\.cdkJSON))), ("Version", .string("2012-10-17"))])
            #expect(String(decoding: compact.bytes, as: UTF8.self) == JSONWriter.compact(value))
            var pretty = PrettyJSON(membersAt: 1)
            pretty.key("Doc")
            Planner.writePolicyDocument(statements, to: &pretty)
            var expected = PrettyJSON(membersAt: 1)
            expected.member("Doc", value)
            #expect(pretty.bytes == expected.bytes)
        }
    }

    @Test func statementsWithASidNeverMerge() {
        var a = Statement(actions: ["ecr:ListImages"], principals: [.service("x.amazonaws.com")])
        a.sid = "Keep"
        let b = Statement(actions: ["ecr:ListImages"], principals: [.service("x.amazonaws.com")])
        #expect(minimize([a, b]).count == 2)
    }

    @Test func accountPrincipalsNeverCompareEqual() {
        let root = JSONValue.string("arn:aws:iam::210987654321:root")
        let a = Statement(actions: ECRActions.pull, principals: [.account(root, instance: 0)])
        let b = Statement(actions: ECRActions.read, principals: [.account(root, instance: 1)])
        #expect(minimize([a, b]).count == 2)
        let c = Statement(actions: ECRActions.pull, principals: [.arn("arn:aws:iam::210987654321:role/x")])
        let d = Statement(actions: ECRActions.read, principals: [.arn("arn:aws:iam::210987654321:role/x")])
        #expect(minimize([c, d]).count == 1)
    }

    /// The CDK's merge written the plain way (sets compared as sets, every pass over every pair): the
    /// definition `minimize` must keep to, whatever it does to be fast.
    static func plainMinimize(_ statements: [Statement]) -> [Statement] {
        func sets(_ st: Statement) -> (Set<String>, Set<String>, Set<String>) {
            (Set(st.actions), Set(st.resources.map(JSONWriter.compact)), Set(st.principals.map(\.key)))
        }
        func fixed(_ st: Statement) -> [String] {
            [st.effect, st.condition.map(JSONWriter.compact) ?? "", st.notActions.sorted().joined(separator: ","),
             st.notResources.map(JSONWriter.compact).sorted().joined(separator: ","), st.notPrincipals.map(\.key).sorted().joined(separator: ",")]
        }
        var s = statements
        var changed = true
        while changed {
            changed = false
            var i = 0
            while i < s.count {
                var j = i + 1
                while j < s.count {
                    let (a, b) = (s[i], s[j])
                    let (sa, sb) = (sets(a), sets(b))
                    let equal = (sa.0 == sb.0 ? 1 : 0) + (sa.1 == sb.1 ? 1 : 0) + (sa.2 == sb.2 ? 1 : 0)
                    if a.sid == nil, b.sid == nil, fixed(a) == fixed(b), equal >= 2,
                       a.principals.contains(where: \.isLiteralStar) == b.principals.contains(where: \.isLiteralStar) {
                        var m = a
                        for x in b.actions where !m.actions.contains(x) { m.actions.append(x) }
                        for r in b.resources where !m.resources.map(JSONWriter.compact).contains(JSONWriter.compact(r)) { m.resources.append(r) }
                        for p in b.principals where !m.principals.contains(where: { $0.key == p.key }) { m.principals.append(p) }
                        s[i] = m
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
        return s.filter { seen.insert(JSONWriter.compact($0.cdkJSON)).inserted }
    }

    @Test func mergesAsThePlainDefinitionOnRandomStatements() {
        var rng = SplitMix(seed: 20261129)
        let actions = [ECRActions.pull, ECRActions.push, ECRActions.read, ["ecr:ListImages"], ["ecr:GetAuthorizationToken"],
                       ["ecr:BatchGetImage", "ecr:ListImages"]]
        let resources: [JSONValue] = [.getAtt("A", "Arn"), .getAtt("B", "Arn"), .string("*"), .string("arn:aws:ecr:eu-west-1:1:repository/c")]
        let principals: [Statement.PrincipalUnit] = [.service("events.amazonaws.com"), .arn("arn:aws:iam::1:role/x"), .star,
                                                     .account(.string("arn:aws:iam::2:root"), instance: 0),
                                                     .account(.string("arn:aws:iam::2:root"), instance: 1)]
        var merged = 0
        for round in 0..<400 {
            var statements: [Statement] = []
            for _ in 0..<rng.next(below: 12) {
                // Now and then the statement two before again, as grants repeat their token statement.
                if statements.count >= 2, rng.next(below: 4) == 0 {
                    statements.append(statements[statements.count - 2])
                    continue
                }
                var st = Statement(actions: actions[rng.next(below: actions.count)])
                if rng.next(below: 2) == 0 {
                    st.resources = (0..<(1 + rng.next(below: 2))).map { _ in resources[rng.next(below: resources.count)] }
                } else {
                    st.principals = [principals[rng.next(below: principals.count)]]
                }
                if rng.next(below: 10) == 0 { st.sid = "S\(rng.next(below: 3))" }
                if rng.next(below: 8) == 0 { st.effect = "Deny" }
                if rng.next(below: 8) == 0 { st.condition = .object([("Bool", .object([("aws:SecureTransport", .string("true"))]))]) }
                statements.append(st)
            }
            for st in statements {
                // Written through a sink, a statement reads as its JSONValue written.
                var text = CompactJSON()
                st.writeCDK(to: &text)
                #expect(String(decoding: text.bytes, as: UTF8.self) == JSONWriter.compact(st.cdkJSON), "round \(round)")
            }
            let fast = minimize(statements).map { JSONWriter.compact($0.cdkJSON) }
            let plain = Self.plainMinimize(statements).map { JSONWriter.compact($0.cdkJSON) }
            #expect(fast == plain, "round \(round)")
            merged += statements.count - fast.count
        }
        #expect(merged > 200, "the random statements must merge often enough to test merging")
    }
}

extension SplitMix {
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// IAM's inline-policy limits on what ecrsynth writes for one role (10,240 characters) or user (2,048).
@Suite struct InlinePolicySizeTests {
    /// A spec granting `access` on `count` repositories to one principal, with long repository names.
    static func spec(_ principal: String, _ access: String, count: Int) -> [UInt8] {
        var s = "version: 1\nstack: {name: Sizes, env: {account: \"123456789012\", region: eu-west-1}}\nrepositories:\n"
        for i in 0..<count {
            s += "  - repositoryName: platform/service-with-a-long-name-\(i)\n    grants: [{principal: {\(principal)}, access: \(access)}]\n"
        }
        return Array(s.utf8)
    }

    static func sizeMessages(_ bytes: [UInt8]) -> [String] {
        Pipeline.check(bytes).diagnostics.map(\.message).filter { $0.contains("inline policies") }
    }

    @Test func aRoleOverTheLimitIsAnError() throws {
        // The 150 `push` statements merge into one that names 150 repositories: about 13,000 characters.
        let messages = Self.sizeMessages(Self.spec("role: ci", "push", count: 150))
        let message = try #require(messages.first)
        #expect(messages.count == 1)
        #expect(message.hasPrefix("the policy ecrsynth writes for role 'ci' is "))
        #expect(message.hasSuffix(" characters; IAM allows at most 10240 in a role's inline policies: grant it on fewer repositories"))
    }

    @Test func aUserHasTheSmallerLimit() {
        #expect(Self.sizeMessages(Self.spec("user: deployer", "pull", count: 10)).isEmpty)
        #expect(Self.sizeMessages(Self.spec("user: deployer", "pull", count: 40)).count == 1)
    }

    @Test func statementsThatOnlyFitMergedAreAccepted() {
        // 100 `pull` grants written out are far over 10,240 characters; merged into one statement with
        // 100 resources they fit.
        let statements = (0..<100).flatMap { i in
            [Statement(actions: ECRActions.pull, resources: [.string("arn:aws:ecr:eu-west-1:123456789012:repository/r\(i)")]),
             Statement(actions: ["ecr:GetAuthorizationToken"], resources: [.string("*")])]
        }
        #expect(Planner.compactPolicyText(statements).count > 10_240)
        #expect(Planner.compactPolicyText(minimize(statements)).count < 10_240)
        #expect(Self.sizeMessages(Self.spec("role: ci", "pull", count: 100)).isEmpty)
    }
}

@Suite struct LifecyclePriorityTests {
    /// The CDK's numbering written the plain way (filters, a table of the priorities seen): the
    /// definition `LifecyclePlanner.plan` must keep to.
    static func plainPlan(_ rules: [LifecycleRule]) -> (priorities: [Int], marks: [Mark], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let prioritized = rules.filter { $0.tagStatus != .any && $0.rulePriority != nil }
        let unprioritized = rules.filter { $0.tagStatus != .any && $0.rulePriority == nil }
        let anyRules = rules.filter { $0.tagStatus == .any && $0.effectiveStorageClass == .standard }
            + rules.filter { $0.tagStatus == .any && $0.effectiveStorageClass == .archive }
        if !unprioritized.isEmpty, let a = anyRules.first(where: { $0.rulePriority != nil }) {
            diagnostics.append(.error(
                "the 'any' rule has a 'rulePriority' but other rules have none; remove 'rulePriority' from the 'any' rule",
                at: a.rulePriority!.mark, notes: [.init("this rule has no 'rulePriority'", at: unprioritized[0].mark)]))
        }
        var next = (prioritized.map { $0.rulePriority!.value }.max() ?? 0) + 1
        var planned: [PlannedRule] = prioritized.map { PlannedRule(rule: $0, priority: $0.rulePriority!.value) }
        for r in unprioritized {
            planned.append(PlannedRule(rule: r, priority: next))
            next += 1
        }
        for r in anyRules {
            if let p = r.rulePriority {
                planned.append(PlannedRule(rule: r, priority: p.value))
                next = max(next, p.value + 1)
            } else {
                planned.append(PlannedRule(rule: r, priority: next))
                next += 1
            }
        }
        for (i, p) in planned.enumerated() where p.rule.tagStatus == .any {
            if let highest = planned[..<i].max(by: { $0.priority < $1.priority }), highest.priority > p.priority {
                diagnostics.append(.error(
                    "the 'any' rule must have the highest priority, has \(p.priority) which is smaller than \(highest.priority)",
                    at: p.rule.rulePriority?.mark ?? p.rule.mark,
                    notes: [.init("the rule with priority \(highest.priority) is here", at: highest.rule.mark)]))
            }
        }
        var seen: [Int: PlannedRule] = [:]
        for p in planned {
            if let first = seen[p.priority] {
                diagnostics.append(.error(
                    "duplicate rulePriority \(p.priority); ECR requires a unique priority per rule",
                    at: p.rule.rulePriority?.mark ?? p.rule.mark,
                    notes: [.init("priority \(p.priority) is also given to this rule", at: first.rule.mark)]))
            } else {
                seen[p.priority] = p
            }
        }
        return (planned.map(\.priority), planned.map(\.rule.mark), diagnostics)
    }

    @Test func numbersAsThePlainDefinitionOnRandomRules() {
        var rng = SplitMix(seed: 20261130)
        var reported = 0
        for round in 0..<3000 {
            let rules = (0..<rng.next(below: 7)).map { k in
                LifecycleRule(rulePriority: rng.next(below: 2) == 0 ? Located(1 + rng.next(below: 5), at: Mark(line: k + 1, column: 9)) : nil,
                              tagStatus: [TagStatus.any, .tagged, .untagged][rng.next(below: 3)],
                              limit: .maxImageCount(1),
                              storageClass: [nil, StorageClass.standard, .archive][rng.next(below: 3)],
                              mark: Mark(line: k + 1, column: 3))
            }
            let (planned, diagnostics) = LifecyclePlanner.plan(rules)
            let plain = Self.plainPlan(rules)
            #expect(planned.map(\.priority) == plain.priorities, "round \(round)")
            #expect(planned.map(\.rule.mark) == plain.marks, "round \(round)")
            #expect(diagnostics == plain.diagnostics, "round \(round)")
            reported += diagnostics.count
        }
        #expect(reported > 500, "the random rules must break the priority rules often enough to test the reports")
    }
}

@Suite struct StatementOrderTests {
    /// Resources sort as the CDK sorts them, by their JSON text in JavaScript's order; strings that
    /// JSON writes as they are are sorted without being written. Random strings with the bytes where
    /// the two could part (a quote, a space and '!' just below it, non-ASCII, escapes) against the
    /// definition.
    @Test func resourcesSortByTheirJSONText() {
        func definition(_ values: [JSONValue]) -> [JSONValue] {
            values.map { (JSONWriter.compact($0), $0) }
                .sorted { $0.0.utf16.lexicographicallyPrecedes($1.0.utf16) }.map(\.1)
        }
        var rng = SystemRandomNumberGenerator()
        let pieces = ["a", "b", "arn:aws:ecr:", " ", "!", "#", "\"", "\\", "\n", "é", "\u{FFFD}", "\u{1F600}", "/", ""]
        for _ in 0..<3_000 {
            var values: [JSONValue] = []
            for _ in 0..<Int.random(in: 2...6, using: &rng) {
                let text = (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                values.append(Int.random(in: 0..<10, using: &rng) == 0 ? .getAtt(text, "Arn") : .string(text))
            }
            values = unique(values)
            #expect(Statement.sortedByJSON(values) == definition(values), "\(values)")
        }
        #expect(quotedPrecedes("ab", "ab!") == false && quotedPrecedes("ab!", "ab") == true)
        #expect(quotedPrecedes("ab", "abc") == true && quotedPrecedes("ab", "ab") == false)
    }

    /// The access keywords' actions, sorted once, are what sorting them each time gives; another
    /// list is still sorted and stripped of repeats.
    @Test func actionsRenderSortedWithoutRepeats() {
        for list in [ECRActions.pull, ECRActions.push, ECRActions.pullPush, ECRActions.read] {
            #expect(Statement.cdkActions(list) == jsSorted(unique(list)))
            #expect(Statement.cdkActions(list.map { $0 }) == jsSorted(unique(list)))
        }
        #expect(Statement.cdkActions(["ecr:PutImage", "ecr:BatchGetImage", "ecr:PutImage"]) == ["ecr:BatchGetImage", "ecr:PutImage"])
        #expect(Statement.cdkActions(ECRActions.pull) == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"])
    }
}

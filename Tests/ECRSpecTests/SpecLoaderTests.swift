@testable import ECRSpec
import Testing
import YAML

private func load(_ text: String) -> (Spec?, [Diagnostic]) {
    let r = SpecLoader.load(Array(text.utf8))
    return (r.spec, r.diagnostics)
}

private func errors(_ text: String) -> [String] {
    load(text).1.filter { $0.severity == .error }.map(\.message)
}

private let head = """
    version: 1
    stack: {name: S}
    repositories:

    """

@Suite struct SpecLoaderTests {
    @Test func seedSpecLoads() throws {
        let (spec, diagnostics) = load(head + """
              - id: Repository
                imageScanOnPush: true
                imageTagMutability: IMMUTABLE
                lifecycleRules:
                  - tagPrefixList: [prod]
                    maxImageCount: 9999
                  - maxImageAge: 30 days
            """)
        #expect(diagnostics.isEmpty)
        let repo = try #require(spec?.repositories.first)
        #expect(repo.lifecycleRules.map(\.tagStatus) == [.tagged, .any])
        #expect(repo.lifecycleRules.map(\.limit) == [.maxImageCount(9999), .maxImageAge(days: 30)])
    }

    @Test(arguments: ["30d", "30 day", "30 days", "{days: 30}", "030d", "' 30  days '", "\"0030d\""])
    func durations(_ text: String) throws {
        let (spec, d) = load(head + "  - id: R\n    lifecycleRules: [{maxImageAge: \(text)}]\n")
        #expect(d.filter { $0.severity == .error }.isEmpty)
        #expect(spec?.repositories.first?.lifecycleRules.first?.limit == .maxImageAge(days: 30))
    }

    @Test(arguments: ["36 hours", "2w", "1.5d", "0d", "{hours: 48}", "'30'", "thirty days", "'30 dayss'",
                      "\"3\\u0301 0d\"", "\"\\u0663\\u0660d\"", "'30 Days'", "'d'"])
    func badDurations(_ text: String) {
        let e = errors(head + "  - id: R\n    lifecycleRules: [{maxImageAge: \(text)}]\n")
        #expect(e.count == 1)
        #expect(e.first?.contains("day") == true)
    }

    @Test func unknownKeyGetsAHint() {
        let e = errors(head + "  - id: R\n    imageScanOnPsh: true\n")
        #expect(e == ["unknown key 'imageScanOnPsh' in a repository; did you mean 'imageScanOnPush'?"])
    }

    @Test func accountStaysAString() throws {
        let (spec, _) = load("version: 1\nstack:\n  name: S\n  env: {account: 012345678901, region: eu-west-1}\nrepositories: [{id: R}]\n")
        #expect(spec?.stack.env?.account == "012345678901")
        #expect(spec?.stack.env?.partition == "aws")
    }

    @Test func partitionFollowsTheRegion() {
        let (spec, _) = load("version: 1\nstack:\n  name: S\n  env: {account: '123456789012', region: cn-north-1}\nrepositories: [{id: R}]\n")
        #expect(spec?.stack.env?.partition == "aws-cn")
        let e = errors("version: 1\nstack:\n  name: S\n  env: {account: '123456789012', region: cn-north-1, partition: aws}\nrepositories: [{id: R}]\n")
        #expect(e == ["region 'cn-north-1' is in partition 'aws-cn', not 'aws'"])
    }

    @Test func defaultsMergeListsReplacedTagsMerged() throws {
        let (spec, d) = load("""
            version: 1
            stack: {name: S}
            defaults:
              imageScanOnPush: true
              tags: {team: a, cost: x}
              lifecycleRules: [{maxImageCount: 5}]
            repositories:
              - id: One
              - id: Two
                imageScanOnPush: false
                tags: {team: b}
                lifecycleRules: [{maxImageAge: 7d}]
            """)
        #expect(!d.hasErrors)
        let repos = try #require(spec?.repositories)
        #expect(repos[0].imageScanOnPush == true)
        #expect(repos[0].lifecycleRules.map(\.limit) == [.maxImageCount(5)])
        #expect(repos[1].imageScanOnPush == false)
        #expect(repos[1].lifecycleRules.map(\.limit) == [.maxImageAge(days: 7)])
        #expect(repos[1].tags.map { "\($0.key)=\($0.value)" }.sorted() == ["cost=x", "team=b"])
    }

    @Test func problemsInDefaultsAreReportedOnce() {
        let e = errors("version: 1\nstack: {name: S}\ndefaults:\n  imageScanOnPush: maybe\nrepositories: [{id: A}, {id: B}]\n")
        #expect(e == ["'imageScanOnPush' must be true or false, got 'maybe'"])
    }

    @Test func derivedIDs() {
        #expect(pascalCase("team/base-images") == "TeamBaseImages")
        #expect(pascalCase("124/pp-33") == "124Pp33")
        #expect(pascalCase("my.repo_name-x") == "MyRepoNameX")
    }

    @Test(arguments: ["ab", "my-app", "team/app", "1app", "a/b/c", "a_b", "124/pp-33", "abc-xyz-34ab"])
    func validRepositoryNames(_ name: String) {
        #expect(isRepositoryNamePattern(name))
    }

    @Test(arguments: ["Ab", "-ab", "ab-", "a..b", "a.-b", "a--b", "a__b", "a//b", "ab/", "aAa", "a./a-a"])
    func invalidRepositoryNames(_ name: String) {
        #expect(!isRepositoryNamePattern(name))
    }

    @Test func thirtyErrorsAreAllReported() {
        var text = "version: 1\nstack: {name: S}\nrepositories:\n"
        for i in 0..<30 { text += "  - {id: R\(i), imageScanOnPush: nope}\n" }
        #expect(errors(text).count == 30)
    }

    @Test func suggestions() {
        #expect(suggestion(for: "pul", among: ["pull", "push", "pullPush", "read"]) == "pull")
        #expect(suggestion(for: "immutable", among: TagMutability.allCases.map(\.rawValue)) == "IMMUTABLE")
        #expect(suggestion(for: "zzzzzz", among: ["pull", "push"]) == nil)
    }

    @Test func wildcardActions() {
        #expect(ECRActions.matches("Describe*", in: ECRActions.repository).count >= 4)
        #expect(wildcardMatch("batch?etimage", "batchgetimage"))
        #expect(!wildcardMatch("batch*x", "batchgetimage"))
    }

    @Test func securityLintWarnings() {
        let (spec, d) = load("""
            version: 1
            stack: {name: S, env: {account: '123456789012', region: eu-west-1}}
            defaults: {imageScanOnPush: true, imageTagMutability: IMMUTABLE}
            repositories:
              - id: R
                repositoryName: r1
                grants: [{principal: {role: x}, access: ["ecr:*"]}]
                resourcePolicy:
                  - {Effect: Allow, Principal: {AWS: "*"}, Action: "ecr:*"}
                  - {Effect: Allow, Principal: {AWS: "*"}, Action: "ecr:ListImages", Resource: "*"}
            """)
        #expect(spec != nil)
        #expect(d.map(\.severity) == [.warning, .warning, .warning, .warning, .warning])
        #expect(d.map(\.message) == [
            "'ecr:*' grants 35 repository actions, including DeleteRepository and SetRepositoryPolicy; list the actions needed",
            "this statement allows every AWS principal ('*') with no condition",
            "'ecr:*' allows every ECR action, including DeleteRepository and SetRepositoryPolicy; list the actions needed",
            "this statement allows every AWS principal ('*') with no condition",
            "ECR repository policies take no 'Resource'; ECR has rejected policies with one",
        ])
    }

    @Test func riskyDefaultsWarn() {
        let (_, d) = load(head + "  - id: R\n")
        #expect(d.map(\.message) == [
            "tags of repository 'R' are mutable (ECR's default); set 'imageTagMutability: IMMUTABLE' so a tag always names the same image",
            "repository 'R' does not scan images on push; set 'imageScanOnPush: true'",
        ])
    }
}

/// Repositories decoded on a second thread while the spec is parsed (`RepositoryPrefetch`) are what
/// decoding the parsed document gives, and are used only when decoded against its own stack and defaults.
@Suite struct RepositoryPrefetchTests {
    static let stack = "stack: {name: S, env: {account: \"123456789012\", region: eu-west-1}}\n"
    static let defaults = "defaults: {imageScanOnPush: true, imageTagMutability: MUTABLE, tags: {team: a}}\n"
    static var repositories: String {
        var s = "repositories:\n"
        for i in 0..<300 {
            s += "  - repositoryName: team/r\(i)\n"
            s += i % 7 == 0 ? "    imageScanOnPush: maybe\n" : "    tags: {app: r\(i)}\n"
            s += "    onImagePushed: [{targets: [\"arn:aws:sns:eu-west-1:123456789012:t\(i % 3)\"]}]\n"
        }
        return s
    }

    /// Loads `text` with and without the prefetch; returns both and whether the prefetch was used.
    static func both(_ text: String) throws -> (with: (Spec?, [Diagnostic]), without: (Spec?, [Diagnostic]), used: Bool) {
        let prefetch = RepositoryPrefetch()
        let root = try YAMLParser.parse(Array(text.utf8), observer: prefetch)
        prefetch.finish()
        let with = SpecLoader.load(root: root, prefetched: prefetch)
        let used = prefetch.handedOver
        let without = SpecLoader.load(root: root)
        return ((with.spec, with.diagnostics), (without.spec, without.diagnostics), used)
    }

    static func summary(_ spec: Spec?) -> [String] {
        spec?.repositories.map { "\($0.id.value) \($0.tags.map { "\($0.key)=\($0.value)" }) \(String(describing: $0.imageScanOnPush)) \($0.onImagePushed.count)" } ?? []
    }

    @Test(arguments: ["stack-defaults-repositories", "repositories-first", "defaults-after", "no-defaults"])
    func sameResultInEveryKeyOrder(_ order: String) throws {
        let text: String
        switch order {
        case "stack-defaults-repositories": text = "version: 1\n" + Self.stack + Self.defaults + Self.repositories
        case "repositories-first": text = "version: 1\n" + Self.repositories + Self.stack + Self.defaults
        case "defaults-after": text = "version: 1\n" + Self.stack + Self.repositories + Self.defaults
        default: text = "version: 1\n" + Self.stack + Self.repositories
        }
        let r = try Self.both(text)
        #expect(r.with.1 == r.without.1)
        #expect(Self.summary(r.with.0) == Self.summary(r.without.0))
        #expect(r.with.1.contains { $0.message.contains("'imageScanOnPush' must be true or false") })
        // Decoded early only when stack and defaults came first (without defaults: stack first).
        #expect(r.used == (order == "stack-defaults-repositories" || order == "no-defaults"))
    }

    @Test func aFailedParseStopsTheWorkerAndUsesNothing() {
        let text = "version: 1\n" + Self.stack + Self.repositories + "  - [unclosed\n"
        let prefetch = RepositoryPrefetch()
        #expect(throws: YAMLError.self) { try YAMLParser.parse(Array(text.utf8), observer: prefetch) }
        prefetch.abandon()
        let list = Node(.sequence([]), mark: Mark(line: 3, column: 1))
        #expect(prefetch.decoded(stack: nil, defaults: nil, repositories: list) == nil)
    }
}

/// `characterCount` (bytes when ASCII) is `count` for every text.
@Suite struct CharacterCountTests {
    @Test func equalsCountWhereverANonASCIICharacterIs() {
        for length in 0...40 {
            let ascii = String(repeating: "a", count: length)
            #expect(ascii.characterCount == length)
            for at in 0..<length {
                for other in ["é", "\u{1F600}", "e\u{301}", "\u{7F}"] {
                    var chars = Array(ascii)
                    chars[at] = Character(other)
                    let text = String(chars)
                    #expect(text.characterCount == text.count, "\(text.debugDescription)")
                }
            }
        }
    }

    @Test func randomTexts() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "Z", "0", " ", "\n", "{", "é", "ß", "\u{1F600}", "\u{301}", "\u{0}", "\u{7F}", "\u{80}"]
        for _ in 0..<2_000 {
            let text = String((0..<Int.random(in: 0...70, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            #expect(text.characterCount == text.count, "\(text.debugDescription)")
        }
    }
}

@Suite struct RegionFormTests {
    /// The plain definition: 3 or 4 parts separated by '-', lowercase letters (two in the first),
    /// then digits.
    static func reference(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.count <= 4, let last = parts.last, !last.isEmpty,
              last.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { ("a"..."z").contains($0) } }
            && parts[0].count == 2
    }

    @Test func knownForms() {
        for ok in ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "us-isob-east-1", "il-central-1"] {
            #expect(isRegion(ok), "\(ok)")
        }
        for bad in ["", "eu", "eu-west", "eu-west-", "-west-1", "eu--1", "EU-west-1", "eu-west-1a", "eur-west-1",
                    "e-west-1", "eu-west-1-2", "a-b-c-d-1", "eu-wést-1", "eu-west-١"] {
            #expect(!isRegion(bad), "\(bad)")
        }
    }

    @Test func agreesWithTheDefinitionOnRandomStrings() {
        let pieces = ["e", "u", "w", "s", "1", "2", "0", "-", "-", "A", "é", "٣", " "]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let s = (0..<Int.random(in: 0...14, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(isRegion(s) == Self.reference(s), "\(s)")
        }
    }
}

@Suite struct ColonFieldsTests {
    /// `colonFields` splits at colons as the standard library's `split` does when it keeps empty
    /// fields, with and without a limit, around multi-byte characters too.
    @Test func splitsAsTheStandardLibraryDoes() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = [":", ":", "a", "Z", "/", "-", "é", "\u{1F600}", "e\u{301}"]
        for _ in 0..<2_000 {
            let text = String((0..<Int.random(in: 0...30, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            for limit in [0, 1, 2, 5, Int.max] {
                let expected = text.split(separator: ":", maxSplits: limit, omittingEmptySubsequences: false)
                #expect(colonFields(text, maxSplits: limit) == expected, "\(text.debugDescription) \(limit)")
            }
        }
        #expect(colonFields("arn:aws:sns:eu-west-1:123456789012:topic:x", maxSplits: 5)
            == ["arn", "aws", "sns", "eu-west-1", "123456789012", "topic:x"])
    }
}

@Suite struct ParseTargetTests {
    /// Event targets the decoder accepts and the parts it reads from them.
    @Test func readsTheTargetsItAccepts() {
        let topic = parseTarget("arn:aws:sns:eu-west-1:123456789012:alerts")
        #expect(topic == TargetARN(arn: "arn:aws:sns:eu-west-1:123456789012:alerts", service: .sns, partition: "aws",
                                   region: "eu-west-1", account: "123456789012", name: "alerts"))
        #expect(parseTarget("arn:aws-cn:sqs:cn-north-1:123456789012:jobs.fifo")?.name == "jobs.fifo")
        let function = parseTarget("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:scan-hook:live")
        #expect(function?.service == .lambda && function?.name == "scan-hook" && function?.partition == "aws-us-gov")
        let bus = parseTarget("arn:aws:events:eu-west-1:123456789012:event-bus/ecr/central")
        #expect(bus?.service == .eventBus && bus?.name == "ecr/central")
        for bad in ["", "arn:aws:sns:eu-west-1:123456789012", "arn:aws:s3:eu-west-1:123456789012:bucket",
                    "arn:aws:sns:eu-west-1:12345678901:alerts", "arn:aws:sns:Europe:123456789012:alerts",
                    "ARN:aws:sns:eu-west-1:123456789012:alerts", "arn:azure:sns:eu-west-1:123456789012:alerts",
                    "arn:aws:sns:eu-west-1:123456789012:", "arn:aws:sns:eu-west-1:123456789012:a:b",
                    "arn:aws:lambda:eu-west-1:123456789012:function:", "arn:aws:lambda:eu-west-1:123456789012:fn:x",
                    "arn:aws:lambda:eu-west-1:123456789012:function:a:b:c",
                    "arn:aws:lambda:eu-west-1:123456789012:function:" + String(repeating: "f", count: 65),
                    "arn:aws:events:eu-west-1:123456789012:rule/x", "arn:aws:events:eu-west-1:123456789012:event-bus/",
                    "arn:aws:sns:eu-west-1:123456789012:al\u{e9}rts"] {
            #expect(parseTarget(bad) == nil, "\(bad.debugDescription)")
        }
    }

    /// The same answer as reading the fields as strings (how the decoder read them before it read
    /// bytes), for random text made of the pieces ARNs are made of.
    @Test func answersAsReadingStringsDoes() {
        func reference(_ arn: String) -> TargetARN? {
            let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[0] == "arn", ["aws", "aws-cn", "aws-us-gov"].contains(parts[1]),
                  isRegion(parts[3]), isAccountID(parts[4]) else { return nil }
            let rest = parts[5]
            func isName(_ s: Substring, extra: String) -> Bool {
                !s.isEmpty && s.utf8.count <= 256 && s.utf8.allSatisfy { isASCIILetter($0) || isDigit($0) || extra.utf8.contains($0) }
            }
            switch parts[2] {
            case "sns", "sqs":
                guard isName(Substring(rest), extra: "-_.") else { return nil }
                return TargetARN(arn: arn, service: parts[2] == "sns" ? .sns : .sqs, partition: parts[1], region: parts[3],
                                 account: parts[4], name: rest)
            case "lambda":
                let fn = rest.split(separator: ":", omittingEmptySubsequences: false)
                guard fn.count == 2 || fn.count == 3, fn[0] == "function", isName(fn[1], extra: "-_"), fn[1].utf8.count <= 64,
                      fn.count == 2 || isName(fn[2], extra: "-_$") else { return nil }
                return TargetARN(arn: arn, service: .lambda, partition: parts[1], region: parts[3], account: parts[4], name: String(fn[1]))
            case "events":
                guard rest.hasPrefix("event-bus/"), isName(rest.dropFirst("event-bus/".count), extra: "-_./") else { return nil }
                return TargetARN(arn: arn, service: .eventBus, partition: parts[1], region: parts[3], account: parts[4],
                                 name: String(rest.dropFirst("event-bus/".count)))
            default:
                return nil
            }
        }
        var rng = SystemRandomNumberGenerator()
        let heads = ["arn:aws:sns:eu-west-1:123456789012:", "arn:aws-cn:sqs:cn-north-1:123456789012:",
                     "arn:aws:lambda:us-east-1:123456789012:function:", "arn:aws:events:eu-west-1:123456789012:event-bus/",
                     "arn:aws:events:eu-west-1:123456789012:", "arn:aws:lambda:us-east-1:123456789012:", "arn:aws:sns:", ""]
        let pieces = ["a", "Z", "7", ":", "/", "-", "_", ".", "$", "\u{e9}", "e\u{301}", "event-bus/", "function:", "arn",
                      "aws", "eu-west-1", "123456789012"]
        for _ in 0..<3_000 {
            var text = heads.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 0...8, using: &rng) { text += pieces.randomElement(using: &rng)! }
            #expect(parseTarget(text) == reference(text), "\(text.debugDescription)")
        }
    }
}

@Suite struct DaysTextTests {
    /// Durations read in one pass over the bytes give what reading them through the string's views
    /// gave, for random texts of digits, spaces, units and other characters.
    @Test func readsAsTheViewsDid() {
        func reference(_ s: String) -> LifecycleDecoder.DaysText {
            var text = Substring(s).utf8[...]
            while text.first == 0x20 { text = text.dropFirst() }
            while text.last == 0x20 { text = text.dropLast() }
            var digits = text.prefix { $0 >= 0x30 && $0 <= 0x39 }
            var unit = text.dropFirst(digits.count)
            while unit.first == 0x20 { unit = unit.dropFirst() }
            if digits.isEmpty || !(unit.elementsEqual("d".utf8) || unit.elementsEqual("day".utf8) || unit.elementsEqual("days".utf8)) {
                return .notDays
            }
            while digits.count > 1, digits.first == 0x30 { digits = digits.dropFirst() }
            guard let n = Int(Substring(digits)), n >= 1 else { return .tooSmallOrLarge }
            return .days(n)
        }
        #expect(LifecycleDecoder.parseDays(" 30 days ") == .days(30))
        #expect(LifecycleDecoder.parseDays("007d") == .days(7))
        #expect(LifecycleDecoder.parseDays("0 day") == .tooSmallOrLarge)
        #expect(LifecycleDecoder.parseDays("99999999999999999999d") == .tooSmallOrLarge)
        #expect(LifecycleDecoder.parseDays("30 weeks") == .notDays)
        var rng = SystemRandomNumberGenerator()
        let pieces = ["0", "1", "9", "12", " ", "d", "day", "days", "s", "é", "\t", "99999999999"]
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            #expect(LifecycleDecoder.parseDays(text) == reference(text), "\(text.debugDescription)")
        }
    }
}

import ECRSpec
@testable import ECRSynthKit
import Testing

/// Specs that outgrow one stack are split; a placed repository never moves.
@Suite struct StackSplittingTests {
    /// `ids` in the given order, each with 3 lifecycle rules, a grant, an event rule and scan on push.
    static func spec(_ ids: [Int], pin: (id: Int, stack: String)? = nil) -> [UInt8] {
        var s = """
            version: 1
            stack:
              name: Big
              env: {account: "123456789012", region: eu-west-1}
            defaults:
              imageScanOnPush: true
              imageTagMutability: IMMUTABLE
              lifecycleRules:
                - {tagPrefixList: [prod], maxImageCount: 100}
                - {tagStatus: untagged, maxImageAge: 7d}
                - {maxImageAge: 90d}
            repositories:

            """
        for i in ids {
            s += "  - id: Repo\(i)\n    repositoryName: team/app-\(i)\n"
            s += "    grants: [{principal: {role: ci-\(i / 20)}, access: pull}]\n"
            s += "    onImagePushed: [{id: Deploy, targets: ['arn:aws:events:eu-west-1:123456789012:event-bus/deploys']}]\n"
            if let pin, pin.id == i { s += "    stack: \(pin.stack)\n" }
        }
        return Array(s.utf8)
    }

    static func assignment(_ stacks: [Plan]) -> [String: String] {
        var out: [String: String] = [:]
        for s in stacks { for r in s.repositories { out[r.id] = s.stackName } }
        return out
    }

    @Test func tenThousandRepositoriesFitCloudFormationsLimits() throws {
        let checked = Pipeline.check(Self.spec(Array(0..<10_000)))
        let stacks = try #require(checked.stacks, "\(checked.diagnostics.prefix(3).map(\.message))")
        #expect(stacks.count > 1)
        #expect(stacks.map(\.stackName).prefix(3) == ["Big", "Big-2", "Big-3"])
        var seen = Set<String>()
        for stack in stacks {
            let template = TemplateRenderer.template(stack)
            guard case .object(let top) = template, case .object(let resources)? = top.first(where: { $0.0 == "Resources" })?.1,
                  case .object(let outputs)? = top.first(where: { $0.0 == "Outputs" })?.1 else {
                Issue.record("\(stack.stackName): no Resources or Outputs")
                continue
            }
            #expect(resources.count <= 500, "\(stack.stackName): \(resources.count) resources")
            #expect(outputs.count <= 200, "\(stack.stackName): \(outputs.count) outputs")
            #expect(JSONWriter.prettyBytes(template).count <= 1_000_000)
            for r in stack.repositories { #expect(seen.insert(r.id).inserted, "\(r.id) is in two stacks") }
            // A grant's identity policy lives with the repository it names.
            for p in stack.principalPolicies {
                for case let origin? in p.origins { #expect(origin < stack.repositories.count) }
            }
        }
        #expect(seen.count == 10_000)
    }

    @Test func addingRemovingAndReorderingNeverMovesARepository() throws {
        var ids = Array(0..<700)
        var previous: [String: String] = [:]
        var rng = SplitMix(seed: 7)
        for round in 0..<5 {
            let checked = Pipeline.check(Self.spec(ids), previous: previous)
            let stacks = try #require(checked.stacks, "round \(round): \(checked.diagnostics.prefix(3).map(\.message))")
            let now = Self.assignment(stacks)
            for (id, stack) in previous where now[id] != nil {
                #expect(now[id] == stack, "round \(round): \(id) moved from \(stack) to \(now[id]!)")
            }
            #expect(Set(now.keys) == Set(ids.map { "Repo\($0)" }))
            previous = now
            // Remove some, add new ones at both ends, and shuffle.
            ids.removeAll { _ in rng.next() % 10 == 0 }
            let fresh = (0..<60).map { 1000 * (round + 1) + $0 }
            ids = fresh.prefix(30) + ids + fresh.suffix(30)
            ids.shuffle(using: &rng)
        }
    }

    @Test func pinningAPlacedRepositoryElsewhereIsAnError() throws {
        let first = try #require(Pipeline.check(Self.spec(Array(0..<300))).stacks)
        let previous = Self.assignment(first)
        let home = try #require(previous["Repo5"])
        let other = home == "Big" ? "Big-2" : "Big"
        let checked = Pipeline.check(Self.spec(Array(0..<300), pin: (5, other)), previous: previous)
        #expect(checked.stacks == nil)
        #expect(checked.diagnostics.contains {
            $0.message == "repository 'Repo5' lives in stack '\(home)' (manifest.json); moving it to '\(other)' would delete and recreate it"
        })
    }

    @Test func aPinPlacesANewRepository() throws {
        let checked = Pipeline.check(Self.spec([1, 2, 3], pin: (2, "Big-3")))
        let stacks = try #require(checked.stacks)
        #expect(Self.assignment(stacks)["Repo2"] == "Big-3")
        #expect(Self.assignment(stacks)["Repo1"] == "Big")
    }
}

extension SplitMix: RandomNumberGenerator {}

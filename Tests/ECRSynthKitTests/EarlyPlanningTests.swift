import ECRSpec
@testable import ECRSynthKit
import Testing
import YAML

/// Repositories planned while the spec is parsed (`RepositoryPrefetch.follow`) give the plan,
/// diagnostics and files that planning the loaded spec afterwards gives, and are used only when the
/// loader took the repositories from the prefetch.
@Suite struct EarlyPlanningTests {
    static let stack = """
        stack:
          name: Early
          env: {account: "123456789012", region: eu-west-1}
          tags: {owner: platform, team: base}

        """
    static var repositories: String {
        var s = "repositories:\n"
        for i in 0..<300 {
            // Every 13th has lifecycle priorities the planner rejects (a spec that does not load is not planned).
            s += "  - repositoryName: team/app-\(i)\n"
            s += "    tags: {app: a\(i), team: own}\n"
            s += "    lifecycleRules:\n"
            s += i % 13 == 0 ? "      - {rulePriority: 1, tagPrefixList: [x], maxImageCount: 5}\n      - {rulePriority: 1, maxImageAge: 9d}\n"
                : "      - {tagPrefixList: [v\(i % 4)], maxImageCount: \(i % 50 + 1)}\n      - {tagStatus: untagged, maxImageAge: 3d}\n"
            s += "    grants: [{principal: {role: ci-\(i % 17)}, access: \(i % 2 == 0 ? "pull" : "pullPush")}]\n"
            s += "    onImagePushed: [{targets: [\"arn:aws:sqs:eu-west-1:123456789012:q\(i % 5)\", \"arn:aws:events:eu-west-1:123456789012:event-bus/b\"]}]\n"
        }
        return s
    }

    /// Parses `text` with repositories planned early; returns the early path's plan and diagnostics,
    /// the same spec planned afterwards, and whether the early plans were used.
    static func both(_ text: String) throws -> (early: (Plan, [Diagnostic]), after: (Plan, [Diagnostic]), used: Bool) {
        let prefetch = RepositoryPrefetch()
        prefetch.follow = { stack in
            let planner = Planner.repositoryPlanner(stack: stack)
            return { planner($0) }
        }
        let root = try YAMLParser.parse(Array(text.utf8), observer: prefetch)
        prefetch.finish()
        let loaded = SpecLoader.load(root: root, prefetched: prefetch)
        let spec = try #require(loaded.spec)
        let planned = prefetch.followed()?.map { $0 as! Planner.RepositoryParts }
        let early = Planner.plan(spec, early: planned)
        let after = Planner.plan(spec)
        return (early, after, planned != nil)
    }

    static func files(_ plan: Plan) -> [OutputFile] {
        Pipeline.render(StackSplitter.split(plan).stacks)
    }

    @Test(arguments: ["stack-first", "repositories-first"])
    func sameFilesAndDiagnostics(_ order: String) throws {
        let text = "version: 1\n" + (order == "stack-first" ? Self.stack + Self.repositories : Self.repositories + Self.stack)
        let r = try Self.both(text)
        // Planned early only when the stack came before the repositories.
        #expect(r.used == (order == "stack-first"))
        #expect(r.early.1 == r.after.1)
        #expect(r.early.1.contains { $0.message.contains("rulePriority") })
        #expect(r.early.0.repositories.count == 300)
        #expect(Self.files(r.early.0) == Self.files(r.after.0))
    }
}

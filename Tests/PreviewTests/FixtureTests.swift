@testable import ECRSynthKit
import Foundation
import Testing

/// `Fixtures/preview/<case>/`: `spec.yaml` and `images.json` (and `against.yaml` for a comparison),
/// with `expected.txt` and `expected.json`, compared byte for byte at `fixedNow`.
/// `PREVIEW_RECORD=1 swift test --filter PreviewTests` rewrites the expected files and fails, so that
/// a new baseline is looked at before it is kept.
struct FixtureTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: previewFixtures.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: previewFixtures.appendingPathComponent("\($0)/spec.yaml").path) }.sorted()
    }()

    /// The outcomes the AWS documentation gives for its six worked examples (image → rule priority;
    /// every action is expire). Both the tagPatternList and the tagPrefixList form must produce them.
    static let documented: [String: [String: Int]] = [
        "multiple-rules-A": ["A": 1],
        "multiple-rules-B": ["A": 1, "B": 1],
        "multi-tag-single-rule-A": ["C": 1],
        "multi-tag-single-rule-B": ["A": 1, "B": 1],
        "all-images-A": ["A": 1, "B": 1, "C": 1],
        "all-images-B": ["A": 1, "B": 2, "D": 3],
    ]

    @Test func everyDocumentedExampleHasBothForms() {
        for name in Self.documented.keys {
            #expect(Self.cases.contains("\(name)-pattern"), "missing fixture \(name)-pattern")
            #expect(Self.cases.contains("\(name)-prefix"), "missing fixture \(name)-prefix")
        }
    }

    @Test(arguments: cases)
    func fixture(_ name: String) throws {
        let dir = previewFixtures.appendingPathComponent(name)
        func read(_ file: String) throws -> PreviewRunner.Input {
            PreviewRunner.Input(path: file, bytes: Array(try Data(contentsOf: dir.appendingPathComponent(file))))
        }
        let againstURL = dir.appendingPathComponent("against.yaml")
        let against = FileManager.default.fileExists(atPath: againstURL.path) ? try read("against.yaml") : nil
        for format in PreviewRunner.Format.allCases {
            let outcome = PreviewRunner.run(PreviewRunner.Request(
                spec: try read("spec.yaml"), images: try read("images.json"), against: against,
                now: fixedNow, format: format))
            #expect(outcome.exitCode == 0, "\(name): \(outcome.stderr)")
            #expect(outcome.stderr == "", "\(name)")
            let expectedURL = dir.appendingPathComponent("expected.\(format == .json ? "json" : "txt")")
            if ProcessInfo.processInfo.environment["PREVIEW_RECORD"] != nil {
                try outcome.stdout.write(to: expectedURL, atomically: true, encoding: .utf8)
                Issue.record("recorded \(name)/\(expectedURL.lastPathComponent); look at it, then run again without PREVIEW_RECORD")
                continue
            }
            let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            #expect(outcome.stdout == expected, "\(name)/\(expectedURL.lastPathComponent) differs")
        }
    }

    /// The documented outcome, checked on the simulation itself (not only against the recorded files).
    @Test(arguments: cases.filter { c in documented.keys.contains { c.hasPrefix($0 + "-") } })
    func documentedOutcome(_ name: String) throws {
        let dir = previewFixtures.appendingPathComponent(name)
        let spec = try Data(contentsOf: dir.appendingPathComponent("spec.yaml"))
        let images = try Data(contentsOf: dir.appendingPathComponent("images.json"))
        let plan = try #require(Pipeline.check(Array(spec)).plan)
        let read = DescribeImagesReader.read(Array(images))
        #expect(read.problems.isEmpty)
        let result = LifecycleSimulator.simulate(rules: plan.repositories[0].lifecycle, images: read.images, now: fixedNow)
        var got: [String: Int] = [:]
        for i in result.actedOn {
            let rule = try #require(result.rule(of: i))
            #expect(rule.rule.action == .expire)
            // Image A's digest is sha256:aaaa…
            got[result.images[i].digest.dropFirst(7).prefix(1).uppercased()] = rule.priority
        }
        let key = try #require(Self.documented.keys.first { name.hasPrefix($0 + "-") })
        #expect(got == Self.documented[key]!, "\(name)")
    }
}

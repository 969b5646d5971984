import ECRSpec
@testable import ECRSynthKit
import Foundation
import Testing

/// The repository root, found from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let previewFixtures = repositoryRoot.appendingPathComponent("Fixtures/preview")

/// The evaluation time of every fixture and unit test.
let fixedNow = PreviewTime.parseISO8601("2024-06-01T00:00:00Z")!

struct SpecError: Error, CustomStringConvertible {
    var description: String
}

/// A one-repository spec around lifecycle rules written one per line in YAML flow style.
func specText(_ rules: [String], repositoryName: String = "team/app") -> String {
    var text = "version: 1\nstack: {name: PreviewTest}\nrepositories:\n  - id: App\n    repositoryName: \(repositoryName)\n"
    if !rules.isEmpty {
        text += "    lifecycleRules:\n" + rules.map { "      - \($0)\n" }.joined()
    }
    return text
}

/// The planned rules of `specText(rules)`.
func plannedRules(_ rules: [String]) throws -> [PlannedRule] {
    let checked = Pipeline.check(Array(specText(rules).utf8))
    guard let plan = checked.plan else {
        throw SpecError(description: DiagnosticFormatter.text(checked.diagnostics, path: "spec.yaml"))
    }
    return plan.repositories[0].lifecycle
}

/// A time `days` days (and `plusMicroseconds`) before `fixedNow`.
func daysAgo(_ days: Double, plusMicroseconds: Int64 = 0) -> PreviewTime {
    PreviewTime(microseconds: fixedNow.microseconds - Int64(days * Double(PreviewTime.microsecondsPerDay)) - plusMicroseconds)
}

/// An image named `name` (its digest is `sha256:<name>`).
func image(_ name: String, _ tags: [String] = [], pushed: PreviewTime, pulled: PreviewTime? = nil,
           archived: PreviewTime? = nil, activated: PreviewTime? = nil,
           status: PreviewImage.Status = .active) -> PreviewImage {
    PreviewImage(digest: "sha256:\(name)", tags: tags, pushedAt: pushed, lastPulledAt: pulled,
                 lastArchivedAt: archived, lastActivatedAt: activated, status: status)
}

/// Runs the rules over the images at `fixedNow`.
func simulate(_ rules: [String], _ images: [PreviewImage]) throws -> PreviewResult {
    LifecycleSimulator.simulate(rules: try plannedRules(rules), images: images, now: fixedNow)
}

extension PreviewResult {
    /// Image name → "expire 1" / "archive 2", for the images acted on, in output order.
    var outcomes: [String] {
        actedOn.map { i in
            let name = images[i].digest.dropFirst("sha256:".count)
            let r = rule(of: i)!
            return "\(name) \(r.rule.action.rawValue) \(r.priority)"
        }
    }
}

/// Runs the whole command in process.
func runPreview(spec: String, images: String, against: String? = nil, repository: String? = nil,
                format: PreviewRunner.Format = .text, specPath: String = "spec.yaml",
                imagesPath: String = "images.json") -> PreviewRunner.Outcome {
    PreviewRunner.run(PreviewRunner.Request(
        spec: .init(path: specPath, bytes: Array(spec.utf8)),
        images: .init(path: imagesPath, bytes: Array(images.utf8)),
        against: against.map { .init(path: "before.yaml", bytes: Array($0.utf8)) },
        repository: repository, now: fixedNow, format: format))
}

/// describe-images JSON for the images (ISO 8601 times in UTC).
func describeImages(_ images: [PreviewImage], repositoryName: String = "team/app") -> String {
    func field(_ key: String, _ t: PreviewTime?) -> String {
        t.map { ", \"\(key)\": \"\($0.iso8601(fraction: true))\"" } ?? ""
    }
    let entries = images.map { i in
        var s = "{\"repositoryName\": \"\(repositoryName)\", \"imageDigest\": \"\(i.digest)\""
        if !i.tags.isEmpty { s += ", \"imageTags\": [" + i.tags.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        s += field("imagePushedAt", i.pushedAt) + field("lastRecordedPullTime", i.lastPulledAt)
            + field("lastArchivedAt", i.lastArchivedAt) + field("lastActivatedAt", i.lastActivatedAt)
        s += ", \"imageStatus\": \"\(i.status.rawValue)\"}"
        return s
    }
    return "{\"imageDetails\": [\n  " + entries.joined(separator: ",\n  ") + "\n]}\n"
}

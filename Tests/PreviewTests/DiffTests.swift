@testable import ECRSynthKit
import Testing

/// `--against`: what a rule change newly expires or archives, and what it no longer does.
struct DiffTests {
    let images = [
        image("a", ["release-1"], pushed: daysAgo(100)),
        image("b", ["release-2"], pushed: daysAgo(50)),
        image("c", ["dev-1"], pushed: daysAgo(40)),
        image("d", ["dev-2"], pushed: daysAgo(20)),
        image("e", [], pushed: daysAgo(10)),
        image("f", [], pushed: daysAgo(2)),
    ]
    // Before: keep 1 release image, expire the rest after 30 days.
    let before = [#"{tagPatternList: ["release-*"], maxImageCount: 1}"#, "{maxImageAge: 30d}"]
    // After: archive releases after 60 days, and keep only 2 images of all.
    let after = [#"{tagPatternList: ["release-*"], maxImageAge: 60d, action: archive}"#, "{maxImageCount: 2}"]

    @Test func changesAreClassified() throws {
        let b = try simulate(before, images), a = try simulate(after, images)
        #expect(b.outcomes == ["a expire 1", "c expire 2"])
        #expect(a.outcomes == ["a archive 1", "c expire 2", "d expire 2"])
        let diff = PreviewDiff.compare(before: b, after: a)
        #expect(diff.entries.map { "\(images[$0.image].digest.dropFirst(7)) \($0.change.rawValue)" }
            == ["d NEWLY_EXPIRING", "a NO_LONGER_EXPIRING"])
        #expect(diff.ruleChangedCount == 0)
        // And the other way round.
        let back = PreviewDiff.compare(before: a, after: b)
        #expect(back.entries.map { "\(images[$0.image].digest.dropFirst(7)) \($0.change.rawValue)" }
            == ["a NEWLY_EXPIRING", "d NO_LONGER_EXPIRING"])
    }

    @Test func archiveChanges() throws {
        let keep = try simulate([#"{tagPatternList: ["release-*"], maxImageCount: 10}"#], images)
        let archive = try simulate([#"{tagPatternList: ["release-*"], maxImageAge: 30d, action: archive}"#], images)
        #expect(PreviewDiff.compare(before: keep, after: archive).entries.map(\.change) == [.newlyTransitioning, .newlyTransitioning])
        #expect(PreviewDiff.compare(before: archive, after: keep).entries.map(\.change) == [.noLongerTransitioning, .noLongerTransitioning])
        // Same action, another rule: not a change of outcome, but counted.
        let renumbered = try simulate(["{tagStatus: untagged, maxImageCount: 5}", #"{tagPatternList: ["release-*"], maxImageAge: 30d, action: archive}"#], images)
        let d = PreviewDiff.compare(before: archive, after: renumbered)
        #expect(d.entries.isEmpty && d.ruleChangedCount == 2)
    }

    @Test func textAndJSON() {
        let text = runPreview(spec: specText(after), images: describeImages(images), against: specText(before))
        #expect(text.exitCode == 0 && text.stderr == "")
        #expect(text.stdout == """
            repository team/app: 6 images, now 2024-06-01T00:00:00Z
            spec.yaml (2 rules) against before.yaml (2 rules)
            CHANGE             DIGEST  TAGS       PUSHED                AGE   STORAGE   BEFORE           AFTER
            newly expired      d       dev-2      2024-05-12T00:00:00Z  20d   standard  kept             expire (rule 2)
            no longer expired  a       release-1  2024-02-22T00:00:00Z  100d  standard  expire (rule 1)  archive (rule 1)
            summary: 1 newly expired, 0 newly archived, 1 no longer expired, 0 no longer archived; before 2 expire, 0 archive; after 2 expire, 1 archive

            """)
        let json = runPreview(spec: specText(after), images: describeImages(images), against: specText(before), format: .json)
        #expect(json.stdout == """
            {
             "repositoryName": "team/app",
             "changes": [
              {
               "change": "NEWLY_EXPIRING",
               "imageDigest": "sha256:d",
               "imageTags": [
                "dev-2"
               ],
               "imagePushedAt": "2024-05-12T00:00:00Z",
               "storageClass": "STANDARD",
               "after": {
                "action": {
                 "type": "EXPIRE"
                },
                "appliedRulePriority": 2
               }
              },
              {
               "change": "NO_LONGER_EXPIRING",
               "imageDigest": "sha256:a",
               "imageTags": [
                "release-1"
               ],
               "imagePushedAt": "2024-02-22T00:00:00Z",
               "storageClass": "STANDARD",
               "before": {
                "action": {
                 "type": "EXPIRE"
                },
                "appliedRulePriority": 1
               },
               "after": {
                "action": {
                 "type": "TRANSITION",
                 "targetStorageClass": "ARCHIVE"
                },
                "appliedRulePriority": 1
               }
              }
             ],
             "summary": {
              "newlyExpiringImageCount": 1,
              "newlyTransitioningImageCount": 0,
              "noLongerExpiringImageCount": 1,
              "noLongerTransitioningImageCount": 0,
              "ruleChangedImageCount": 0,
              "before": {
               "expiringImageTotalCount": 2
              },
              "after": {
               "expiringImageTotalCount": 2,
               "transitioningImageTotalCounts": [
                {
                 "targetStorageClass": "ARCHIVE",
                 "imageTotalCount": 1
                }
               ]
              }
             }
            }

            """)
    }

    @Test func aRepositoryMissingFromTheOtherSpecHadNoRules() {
        let other = specText(before, repositoryName: "team/renamed") .replacingOccurrences(of: "id: App", with: "id: Other")
        let out = runPreview(spec: specText(after), images: describeImages(images),
                             against: other + "  - id: Second\n")
        #expect(out.exitCode == 0)
        #expect(out.stderr == "before.yaml: note: no repository 'team/app' in this spec; compared as a repository without lifecycle rules\n")
        #expect(out.stdout.contains("summary: 2 newly expired, 1 newly archived, 0 no longer expired, 0 no longer archived"))
    }

    @Test func anInvalidOtherSpecFails() {
        let out = runPreview(spec: specText(after), images: describeImages(images), against: "version: 1\n")
        #expect(out.exitCode == 1)
        #expect(out.stderr.contains("before.yaml:"))
        #expect(out.stdout == "")
    }
}

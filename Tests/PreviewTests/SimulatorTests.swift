@testable import ECRSynthKit
import Testing

/// Each evaluation rule of ECR's "Lifecycle policy evaluation rules", one test each.
struct SimulatorTests {
    @Test func imageMatchedByAHigherRuleIsProtectedEvenWhenThatRuleKeepsIt() throws {
        // Rule 1 matches A and B (prod) and keeps both; rule 2 (beta, keep 1) marks A, but A was
        // matched by rule 1, so rule 2 cannot expire it.
        let r = try simulate([
            #"{rulePriority: 1, tagPatternList: ["prod*"], maxImageCount: 5}"#,
            #"{rulePriority: 2, tagPatternList: ["beta*"], maxImageCount: 1}"#,
        ], [
            image("A", ["beta-1", "prod-1"], pushed: daysAgo(10)),
            image("B", ["beta-2", "prod-2"], pushed: daysAgo(9)),
        ])
        #expect(r.outcomes == [])
        #expect(r.stats[1] == .init(matched: 2, marked: 1, actedOn: 0))
    }

    @Test func countIncludesImagesClaimedByAHigherRule() throws {
        // Newest first: P1, X, P2, Y. The any rule keeps 2 of all four (P1 and X), marks P2 and Y;
        // P2 is rule 1's, so only Y expires. Counting only unclaimed images would keep X and Y.
        let r = try simulate([
            #"{tagPatternList: ["prod*"], maxImageAge: 1000d}"#,
            "{maxImageCount: 2}",
        ], [
            image("Y", [], pushed: daysAgo(4)),
            image("P2", ["prod-2"], pushed: daysAgo(3)),
            image("X", ["dev"], pushed: daysAgo(2)),
            image("P1", ["prod-1"], pushed: daysAgo(1)),
        ])
        #expect(r.outcomes == ["Y expire 2"])
        #expect(r.stats.map(\.marked) == [0, 2])
    }

    @Test func eachImageIsActedOnByOneRuleAtMost() throws {
        let r = try simulate([
            #"{tagPatternList: ["v*"], maxImageAge: 10d}"#,
            "{maxImageAge: 10d}",
        ], [image("A", ["v1"], pushed: daysAgo(20)), image("B", [], pushed: daysAgo(20))])
        #expect(r.outcomes == ["A expire 1", "B expire 2"])
        #expect(r.expiringCount == 2)
    }

    @Test func samePushTimeTheLaterListedImageIsNewer() throws {
        let t = daysAgo(3)
        let r = try simulate(["{maxImageCount: 1}"], [
            image("first", [], pushed: t), image("second", [], pushed: t), image("third", [], pushed: t),
        ])
        // "third" is the newest and kept; results list oldest first.
        #expect(r.outcomes == ["first expire 1", "second expire 1"])
        // The input order decides, not the digest.
        let reversed = try simulate(["{maxImageCount: 1}"], [
            image("third", [], pushed: t), image("second", [], pushed: t), image("first", [], pushed: t),
        ])
        #expect(reversed.outcomes == ["third expire 1", "second expire 1"])
    }

    @Test func sameDayImagesAreOrderedByTheirTimes() throws {
        let r = try simulate(["{maxImageCount: 1}"], [
            image("evening", [], pushed: daysAgo(1, plusMicroseconds: -3_600_000_000)),
            image("morning", [], pushed: daysAgo(1, plusMicroseconds: 3_600_000_000)),
        ])
        #expect(r.outcomes == ["morning expire 1"])
    }

    @Test func anImageExactlyNDaysOldIsNotOlderThanNDays() throws {
        let r = try simulate(["{maxImageAge: 30d}"], [
            image("exactly", [], pushed: daysAgo(30)),
            image("justOver", [], pushed: daysAgo(30, plusMicroseconds: 1)),
            image("younger", [], pushed: daysAgo(29.9)),
        ])
        #expect(r.outcomes == ["justOver expire 1"])
    }

    @Test func archiveByLastPullFallsBackToPushTimeWhenNeverPulled() throws {
        let r = try simulate(["{maxTimeSinceLastPull: 90d, action: archive}"], [
            image("pulledLongAgo", [], pushed: daysAgo(200), pulled: daysAgo(100)),
            image("pulledRecently", [], pushed: daysAgo(200), pulled: daysAgo(10)),
            image("neverPulledOld", [], pushed: daysAgo(100)),
            image("neverPulledNew", [], pushed: daysAgo(50)),
            image("neverPulledExactly", [], pushed: daysAgo(90)),
        ])
        #expect(r.outcomes == ["pulledLongAgo archive 1", "neverPulledOld archive 1"])
        #expect(r.transitioningCount == 2 && r.expiringCount == 0)
    }

    @Test func expiryFromArchiveCountsFromTheArchivalTime() throws {
        // AWS's "Combining archive and expire rules": archive after 30 days, delete a year after archival.
        let r = try simulate([
            "{maxImageAge: 30d, action: archive}",
            "{storageClass: archive, maxTimeInArchive: 365d}",
        ], [
            image("archivedLongAgo", [], pushed: daysAgo(800), archived: daysAgo(400), status: .archived),
            image("archivedRecently", [], pushed: daysAgo(800), archived: daysAgo(100), status: .archived),
            image("archivedExactlyAYear", [], pushed: daysAgo(800), archived: daysAgo(365), status: .archived),
            image("activeOld", [], pushed: daysAgo(40)),
            image("activeNew", [], pushed: daysAgo(5)),
        ])
        #expect(r.outcomes == ["activeOld archive 1", "archivedLongAgo expire 2"])
        // Each rule sees only its storage class.
        #expect(r.stats.map(\.matched) == [2, 3])
    }

    @Test func archiveRulesDoNotSeeStandardImagesAndStandardRulesDoNotSeeArchivedOnes() throws {
        let r = try simulate(["{maxImageCount: 1}"], [
            image("archived", [], pushed: daysAgo(1), archived: daysAgo(1), status: .archived),
            image("old", [], pushed: daysAgo(9)),
            image("new", [], pushed: daysAgo(5)),
        ])
        #expect(r.outcomes == ["old expire 1"])
    }

    @Test func aRestoredImageIsAsOldAsItsRestore() throws {
        // Pushed 400 days ago, archived, restored 10 days ago: last_activated_at replaces the push time.
        let restored = image("restored", [], pushed: daysAgo(400), pulled: daysAgo(350), archived: daysAgo(300), activated: daysAgo(10))
        let age = try simulate(["{maxImageAge: 30d, action: archive}"], [restored, image("plain", [], pushed: daysAgo(400))])
        #expect(age.outcomes == ["plain archive 1"])
        // Not pulled since the restore: the restore time, not the old pull, counts.
        let pull = try simulate(["{maxTimeSinceLastPull: 30d, action: archive}"], [restored])
        #expect(pull.outcomes == [])
        // Count rules order it by its restore: newer than an image pushed 20 days ago.
        let count = try simulate(["{maxImageCount: 1}"], [restored, image("pushed20", [], pushed: daysAgo(20))])
        #expect(count.outcomes == ["pushed20 expire 1"])
        // Pulled after the restore: the pull counts.
        let pulledAfter = image("r2", [], pushed: daysAgo(400), pulled: daysAgo(5), archived: daysAgo(300), activated: daysAgo(50))
        #expect(try simulate(["{maxTimeSinceLastPull: 30d, action: archive}"], [pulledAfter]).outcomes == [])
        let staleAfter = image("r3", [], pushed: daysAgo(400), pulled: daysAgo(40), archived: daysAgo(300), activated: daysAgo(50))
        #expect(try simulate(["{maxTimeSinceLastPull: 30d, action: archive}"], [staleAfter]).outcomes == ["r3 archive 1"])
    }

    @Test func anImageBeingRestoredIsLeftAlone() throws {
        let r = try simulate(["{maxImageAge: 1d}"], [image("activating", [], pushed: daysAgo(50), archived: daysAgo(40), status: .activating)])
        #expect(r.outcomes == [] && r.stats[0].matched == 0)
    }

    @Test func bothActionsInOnePolicy() throws {
        let rules = [
            #"{tagPatternList: ["release-*"], maxImageAge: 30d, action: archive}"#,
            "{maxImageCount: 2}",
        ]
        let images = [
            image("rel1", ["release-1"], pushed: daysAgo(60)),
            image("rel2", ["release-2"], pushed: daysAgo(10)),
            image("dev1", ["dev-1"], pushed: daysAgo(8)),
            image("dev2", ["dev-2"], pushed: daysAgo(7)),
            image("dev3", ["dev-3"], pushed: daysAgo(6)),
        ]
        let r = try simulate(rules, images)
        // Newest first: dev3, dev2 kept by count; dev1, rel2, rel1 marked; rel* are rule 1's.
        #expect(r.outcomes == ["rel1 archive 1", "dev1 expire 2"])
        let json = runPreview(spec: specText(rules), images: describeImages(images), format: .json)
        #expect(json.exitCode == 0)
        #expect(json.stdout.contains("""
               "imagePushedAt": "2024-04-02T00:00:00Z",
               "action": {
                "type": "TRANSITION",
                "targetStorageClass": "ARCHIVE"
               },
               "appliedRulePriority": 1,
               "storageClass": "STANDARD"
            """))
        #expect(json.stdout.hasSuffix("""
             "summary": {
              "expiringImageTotalCount": 1,
              "transitioningImageTotalCounts": [
               {
                "targetStorageClass": "ARCHIVE",
                "imageTotalCount": 1
               }
              ]
             }
            }

            """))
    }

    @Test func prefixAndPatternListsNeedEveryEntryMatchedBySomeTag() throws {
        let rules = [#"{tagPrefixList: [alpha, beta], maxImageCount: 1}"#]
        let r = try simulate(rules, [
            image("both", ["alpha-1", "beta-1"], pushed: daysAgo(5)),
            image("alphaOnly", ["alpha-2"], pushed: daysAgo(4)),
            image("oneTagBoth", ["alphabeta"], pushed: daysAgo(3)),
            image("newest", ["beta-9", "x", "alpha"], pushed: daysAgo(1)),
        ])
        #expect(r.outcomes == ["both expire 1"])
        #expect(r.stats[0].matched == 2)
    }

    @Test func untaggedAndTaggedSelections() throws {
        let r = try simulate([
            #"{tagPatternList: ["*"], maxImageCount: 1}"#,
            "{tagStatus: untagged, maxImageCount: 1}",
        ], [
            image("t1", ["a"], pushed: daysAgo(3)), image("u1", [], pushed: daysAgo(3)),
            image("t2", ["b"], pushed: daysAgo(2)), image("u2", [], pushed: daysAgo(2)),
        ])
        #expect(r.outcomes == ["t1 expire 1", "u1 expire 2"])
    }

    @Test(arguments: [
        ("prod*", "prod", true), ("prod*", "production-team1", true), ("prod*", "preprod", false),
        ("*prod*", "repo-production", true), ("*prod*", "prod-team", true), ("*prod*", "pro", false),
        ("prod", "prod", true), ("prod", "prod1", false), ("*", "", true), ("*", "anything", true),
        ("a*b*c", "abc", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "acb", false), ("a*b*c", "abcx", false),
        ("*test*1*2*3", "my-test-1-2-3", true), ("*test*1*2*3", "test123", true), ("*test*1*2*3", "test-3-2-1", false),
        ("v*.*.*", "v1.2.3", true), ("v*.*.*", "v1.2", false), ("ab*ba", "aba", false), ("**", "x", true),
    ])
    func wildcardPatternsMatchWholeTags(_ pattern: String, _ tag: String, _ expected: Bool) {
        let glob = Glob(pattern)
        #expect(withBytes(tag) { glob.matches($0) } == expected, "'\(pattern)' ~ '\(tag)'")
    }

    @Test func resultsAreOrderedByPriorityThenPushTimeThenInputOrder() throws {
        let t = daysAgo(50)
        let r = try simulate([
            #"{tagPatternList: ["b*"], maxImageAge: 1d}"#,
            "{maxImageAge: 1d}",
        ], [
            image("z", [], pushed: daysAgo(60)), image("b2", ["b2"], pushed: t), image("y", [], pushed: t),
            image("b1", ["b1"], pushed: daysAgo(70)), image("x", [], pushed: daysAgo(80)),
        ])
        #expect(r.outcomes == ["b1 expire 1", "b2 expire 1", "x expire 2", "z expire 2", "y expire 2"])
    }

    @Test func noRulesNoActions() throws {
        let r = try simulate([], [image("a", [], pushed: daysAgo(1000))])
        #expect(r.outcomes == [])
        let out = runPreview(spec: specText([]), images: describeImages([image("a", [], pushed: daysAgo(1000))]))
        #expect(out.stdout == """
            repository team/app: 1 image, now 2024-06-01T00:00:00Z, 0 lifecycle rules
            the repository has no lifecycle rules: no image is expired or archived
            summary: 0 expire, 0 archive, 1 unaffected (of 1 image)

            """)
    }
}

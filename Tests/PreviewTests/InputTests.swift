@testable import ECRSynthKit
import Testing

/// Reading describe-images output and times; every bad input names its JSON path and exits 1.
struct InputTests {
    let spec = specText(["{maxImageCount: 1}"])

    func errors(_ images: String) -> String {
        let out = runPreview(spec: spec, images: images)
        #expect(out.exitCode == 1)
        #expect(out.stdout == "")
        return out.stderr
    }

    @Test func aBadTimestampNamesItsPath() {
        let images = """
            {"imageDetails": [
              {"imageDigest": "sha256:0", "imagePushedAt": "2024-05-01T10:00:00+02:00"},
              {"imageDigest": "sha256:1", "imagePushedAt": 1714550400},
              {"imageDigest": "sha256:2", "imagePushedAt": 1714550400.5},
              {"imageDigest": "sha256:3", "imagePushedAt": "yesterday"}
            ]}
            """
        #expect(errors(images) == "images.json: error: imageDetails[3].imagePushedAt: expected an ISO 8601 time or epoch seconds, got 'yesterday'\n")
    }

    @Test func everyProblemIsReportedOnce() {
        let images = """
            {"imageDetails": [
              {"imageDigest": "sha256:0", "imagePushedAt": "2024-02-30T10:00:00Z", "imageTags": "latest"},
              {"imagePushedAt": true, "imageStatus": "DELETED", "lastRecordedPullTime": "2024-05-01"},
              "sha256:2",
              {"imageDigest": 7, "imagePushedAt": "2024-05-01T10:00:00Z", "imageTags": ["ok", null],
               "lastArchivedAt": null}
            ]}
            """
        #expect(errors(images) == """
            images.json: error: imageDetails[0].imagePushedAt: expected an ISO 8601 time or epoch seconds, got '2024-02-30T10:00:00Z'
            images.json: error: imageDetails[0].imageTags: expected a list of tags, got a string
            images.json: error: imageDetails[1].imagePushedAt: expected an ISO 8601 time or epoch seconds, got true or false
            images.json: error: imageDetails[1].imageStatus: expected ACTIVE, ARCHIVED or ACTIVATING, got 'DELETED'
            images.json: error: imageDetails[1].lastRecordedPullTime: expected an ISO 8601 time or epoch seconds, got '2024-05-01'
            images.json: error: imageDetails[1]: missing 'imageDigest'
            images.json: error: imageDetails[2]: expected an object describing an image, got a string
            images.json: error: imageDetails[3].imageDigest: expected a digest such as 'sha256:…', got a number
            images.json: error: imageDetails[3].imageTags[1]: expected a tag (a string), got null

            """)
    }

    @Test func missingFields() {
        #expect(errors(#"{"imageDetails": [{"imageDigest": "sha256:0"}]}"#)
            == "images.json: error: imageDetails[0]: missing 'imagePushedAt'\n")
        #expect(errors(#"{"images": []}"#)
            == "images.json: error: no 'imageDetails' key; expected the output of 'aws ecr describe-images --output json'\n")
        #expect(errors(#"[{"imageDigest": "sha256:0"}]"#)
            == "images.json: error: expected the output of 'aws ecr describe-images --output json' (an object with 'imageDetails'), got a list\n")
        #expect(errors(#"{"imageDetails": {}}"#) == "images.json: error: imageDetails: expected a list, got an object\n")
    }

    @Test func notJSONGivesLineAndColumn() {
        #expect(errors("yesterday\n") == "images.json:1:1: error: not valid JSON: expected a value, found 'y'\n")
        #expect(errors("") == "images.json:1:1: error: not valid JSON: the file is empty; expected the output of 'aws ecr describe-images --output json'\n")
        #expect(errors("{\"imageDetails\": [\n  {\"imageDigest\": \"sha256:0\",}\n]}")
            == "images.json:2:30: error: not valid JSON: expected a key in quotes, found '}'\n")
        #expect(errors("{\"imageDetails\": [\n  {\"imageDigest\": \"sha256:0\", \"imagePushedAt\": 1}\n") 
            == "images.json:3:1: error: not valid JSON: expected ',' or ']', found the end of the document\n")
        #expect(errors("{\"imageDetails\": []} x") == "images.json:1:22: error: not valid JSON: unexpected 'x' after the end of the document\n")
        #expect(errors("{\"imageDetails\": [\"é\u{01}\"]}") == "images.json:1:21: error: not valid JSON: a control character inside a string must be escaped\n")
        #expect(errors("{\"a\": \"open") == "images.json:1:7: error: not valid JSON: this string is never closed\n")
        // Only the syntax error, not what was found before it.
        #expect(errors("{\"nextToken\": \"t\", \"imageDetails\": [{\"imagePushedAt\": 5}, 01]}")
            == "images.json:1:60: error: not valid JSON: expected ',' or ']', found '1'\n")
    }

    @Test func tooManyErrorsAreCounted() {
        let entries = (0..<25).map { _ in #"{"imageDigest": "sha256:x"}"# }.joined(separator: ",")
        let stderr = errors(#"{"imageDetails": ["# + entries + "]}")
        #expect(stderr.split(separator: "\n").count == 21)
        #expect(stderr.hasSuffix("images.json: note: 5 more errors not shown\n"))
    }

    @Test func warningsDoNotStopThePreview() {
        let images = """
            {"imageDetails": [
              {"repositoryName": "team/other", "imageDigest": "sha256:0", "imagePushedAt": "2024-05-01T10:00:00Z"},
              {"repositoryName": "team/app", "imageDigest": "sha256:0", "imagePushedAt": "2024-05-02T10:00:00Z", "imageStatus": "ARCHIVED"}
            ], "nextToken": "abc"}
            """
        let out = runPreview(spec: spec, images: images)
        #expect(out.exitCode == 0)
        #expect(out.stderr == """
            images.json: warning: imageDetails[1]: an ARCHIVED image without 'lastArchivedAt'; no 'maxTimeInArchive' rule can expire it
            images.json: warning: nextToken: the listing is incomplete (there is a next page); run 'aws ecr describe-images' without '--max-items' or '--no-paginate' to preview every image
            images.json: warning: imageDetails[1].imageDigest: 'sha256:0' is listed again (first at imageDetails[0]); both entries are previewed
            images.json: warning: imageDetails[0].repositoryName: 'team/other' is not 'team/app', the repository previewed

            """)
    }

    @Test func readsWhatTheCLIPrints() throws {
        let images = """
            \u{FEFF}{
                "imageDetails": [
                    {
                        "registryId": "123456789012",
                        "repositoryName": "team/app",
                        "imageDigest": "sha256:4f70ef7a4d29e280a09b95b3e5d1c2ad2a8f2b2b2c8e0e2ab4f1ad7f8a1f9e4c",
                        "imageTags": ["v1.2.3", "latest", "caf\\u00e9"],
                        "imageSizeInBytes": 2856427,
                        "imagePushedAt": "2024-05-01T10:00:00.123456+02:00",
                        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
                        "imageScanFindingsSummary": {"findingSeverityCounts": {"LOW": 3}, "vulnerabilitySourceUpdatedAt": 1.71e9},
                        "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
                        "lastRecordedPullTime": "2024-05-20T08:30:00.5-07:00",
                        "imageStatus": "ACTIVE",
                        "lastActivatedAt": null
                    }
                ]
            }
            """
        let read = DescribeImagesReader.read(Array(images.utf8))
        #expect(read.problems.isEmpty)
        let i = try #require(read.images.first)
        #expect(i.tags == ["v1.2.3", "latest", "café"])
        #expect(i.pushedAt.iso8601(fraction: true) == "2024-05-01T08:00:00.123456Z")
        #expect(i.lastPulledAt?.iso8601(fraction: true) == "2024-05-20T15:30:00.5Z")
        #expect(i.lastActivatedAt == nil && i.status == .active && i.storageClass == .standard)
        #expect(i.pushedAtJSON == .string("2024-05-01T10:00:00.123456+02:00"))
        #expect(i.shortDigest == "4f70ef7a4d29")
        #expect(read.repositoryNames.map(\.name) == ["team/app"])
    }

    @Test(arguments: [
        ("2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00Z"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
        ("2024-05-01 10:00:00-0530", "2024-05-01T15:30:00Z"),
        ("2024-05-01T10:00:00.1234567+00:00", "2024-05-01T10:00:00.123456Z"),
        ("2024-02-29T23:59:59-01:00", "2024-03-01T00:59:59Z"),
        ("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.5Z"),
        ("2000-01-01T00:00:00+14:00", "1999-12-31T10:00:00Z"),
    ])
    func iso8601Times(_ text: String, _ utc: String) throws {
        #expect(try #require(PreviewTime.parseISO8601(text)).iso8601(fraction: true) == utc)
    }

    @Test(arguments: [
        "yesterday", "2024-05-01", "2024-05-01T10:00:00", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T10:00Z", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00+2:00",
        "2024-05-01T10:00:00Z ", "",
    ])
    func invalidTimes(_ text: String) {
        #expect(PreviewTime.parseISO8601(text) == nil, "'\(text)'")
    }

    @Test func epochSecondsAndNow() {
        #expect(PreviewRunner.parseNow("1714550400")?.iso8601() == "2024-05-01T08:00:00Z")
        #expect(PreviewRunner.parseNow("1714550400.25")?.iso8601(fraction: true) == "2024-05-01T08:00:00.25Z")
        #expect(PreviewRunner.parseNow("1.7145504e9")?.iso8601() == "2024-05-01T08:00:00Z")
        #expect(PreviewRunner.parseNow("2024-06-01T00:00:00Z") == fixedNow)
        #expect(PreviewRunner.parseNow("tomorrow") == nil)
        #expect(fixedNow.days(until: fixedNow) == 0)
        #expect(daysAgo(1, plusMicroseconds: -1).days(until: fixedNow) == 0)
        #expect(daysAgo(1).days(until: fixedNow) == 1)
        #expect(PreviewTime(microseconds: fixedNow.microseconds + 1).days(until: fixedNow) == -1)
    }
}

/// What the command reports about specs and repositories.
struct CommandTests {
    let images = describeImages([image("old", [], pushed: daysAgo(9)), image("new", [], pushed: daysAgo(1))])

    @Test func anInvalidSpecIsReportedWithItsPosition() {
        let out = runPreview(spec: specText(["{maxImageCount: 0}"]), images: images)
        #expect(out.exitCode == 1)
        #expect(out.stdout == "")
        #expect(out.stderr.contains("spec.yaml:7:25: error: 'maxImageCount' must be an integer >= 1, got 0\n"))
        #expect(out.stderr.split(separator: "\n").last?.hasPrefix("spec.yaml: 1 error, ") == true)
    }

    @Test func specAndImageErrorsAreReportedTogether() {
        let out = runPreview(spec: "version: 2\n", images: "{}")
        #expect(out.exitCode == 1)
        #expect(out.stderr.contains("spec.yaml:"))
        #expect(out.stderr.hasSuffix("images.json: error: no 'imageDetails' key; expected the output of 'aws ecr describe-images --output json'\n"))
    }

    static let twoRepositories = """
        version: 1
        stack: {name: T}
        repositories:
          - id: Web
            repositoryName: team/web
            lifecycleRules: [{maxImageCount: 1}]
          - id: Api
            lifecycleRules: [{maxImageCount: 5}]
        """

    @Test func aRepositoryNotInTheSpec() {
        let out = runPreview(spec: Self.twoRepositories, images: images, repository: "team/wbe")
        #expect(out.exitCode == 1)
        #expect(out.stderr == "spec.yaml: error: no repository 'team/wbe' in the spec; it has 'Web' (team/web), 'Api'\n")
    }

    @Test func severalRepositoriesNeedAChoice() {
        let out = runPreview(spec: Self.twoRepositories, images: describeImages([image("a", [], pushed: daysAgo(1))], repositoryName: "team/x"))
        #expect(out.exitCode == 64)
        #expect(out.stderr == "spec.yaml: error: the spec has 2 repositories; choose one with --repository: 'Web' (team/web), 'Api'\n")
    }

    @Test func theRepositoryIsChosenByIdByNameOrByTheImages() {
        let byId = runPreview(spec: Self.twoRepositories, images: images, repository: "Web")
        let byName = runPreview(spec: Self.twoRepositories, images: images, repository: "team/web")
        let byImages = runPreview(spec: Self.twoRepositories, images: describeImages(
            [image("old", [], pushed: daysAgo(9)), image("new", [], pushed: daysAgo(1))], repositoryName: "team/web"))
        for out in [byId, byImages] {
            #expect(out.stdout == byName.stdout)
            #expect(out.exitCode == 0)
        }
        #expect(byName.stdout.hasPrefix("repository team/web: 2 images"))
        let api = runPreview(spec: Self.twoRepositories, images: images, repository: "Api")
        #expect(api.stdout.hasPrefix("repository Api: 2 images"))
        #expect(api.stdout.contains("summary: 0 expire, 0 archive, 2 unaffected (of 2 images)\n"))
    }

    @Test func textOutput() {
        let out = runPreview(spec: specText([
            #"{description: "keep the newest\nrelease", tagPatternList: ["v*"], maxImageCount: 1}"#,
            "{tagStatus: untagged, maxImageAge: 3d}",
        ]), images: describeImages([
            image("sha-a1b2c3d4e5f60718", ["v1", "build-one-two-three-four-five", "build-six-seven-eight", "x"], pushed: daysAgo(9.5)),
            image("sha-b", ["v2"], pushed: daysAgo(2)),
            image("sha-c", [], pushed: daysAgo(4)),
        ]))
        #expect(out.stderr == "")
        #expect(out.stdout == """
            repository team/app: 3 images, now 2024-06-01T00:00:00Z, 2 lifecycle rules
            DIGEST        TAGS                                      PUSHED                AGE  STORAGE   ACTION  RULE
            sha-a1b2c3d4  v1,build-one-two-three-four-five,+2 more  2024-05-22T12:00:00Z  9d   standard  expire  1 keep the newest release
            sha-c         <untagged>                                2024-05-28T00:00:00Z  4d   standard  expire  2 untagged, maxImageAge 3d
            summary: 2 expire, 0 archive, 1 unaffected (of 3 images); rule 1: 1, rule 2: 1

            """)
    }
}

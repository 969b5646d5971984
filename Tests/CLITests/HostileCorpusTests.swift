import Foundation
import Testing
import ECRSynthKit
#if canImport(Glibc)
import Glibc
#endif

/// The hostile-input corpus (docs/hostile-input.md): every case is run through the built `ecrsynth synth`
/// and must end with its documented outcome — the exact error lines where they are stable, exit 1 or 74,
/// or acceptance — and must write nothing outside `-o DIR` (an invalid spec writes nothing at all).
///
/// Small cases are committed in Fixtures/hostile/; the large ones are written at test time by
/// Tests/hostile/generate.py. Time and memory are measured by Tests/hostile/measure.sh, not asserted
/// here: the only time limit is a generous hang timeout.
@Suite(.serialized) struct HostileCorpusTests {
    static let hostile = CLI.fixtures.appendingPathComponent("hostile").path
    static let hangTimeout: TimeInterval = 300

    /// The large cases, generated once per test run (nil when python3 is missing: those tests then fail).
    static let generated: String? = {
        let dir = CLI.tempDir() + "/generated"
        let script = CLI.fixtures.deletingLastPathComponent().appendingPathComponent("Tests/hostile/generate.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, dir]
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? dir : nil
    }()

    /// What one run left behind.
    struct Run {
        var result: CLI.Result
        /// Every path under the sandbox that is not the spec link, its folders or inside `out/`.
        var outside: [String]
        /// Files written into `out/`, relative to it.
        var output: [String]
        /// Whether `out/` exists afterwards (an invalid spec must not even create it).
        var outExists: Bool
        /// The error and note lines of stderr (warnings are left out: new lints add them).
        var problems: [String] {
            result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                .filter { $0.contains(": error: ") || $0.contains(": note: ") }
        }
    }

    /// Runs `ecrsynth synth NAME -o out` in `sandbox/a/b/c`, NAME being a link to `spec`, so a file name
    /// climbing up to four levels out of `out/` would still land inside the sandbox and be seen.
    static func synth(_ spec: String, name: String? = nil, timeout: TimeInterval = hangTimeout) throws -> Run {
        let sandbox = CLI.tempDir()
        let work = sandbox + "/a/b/c"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let link = name ?? (spec as NSString).lastPathComponent
        try FileManager.default.createSymbolicLink(atPath: work + "/" + link, withDestinationPath: spec)
        let evilBefore = FileManager.default.fileExists(atPath: "/tmp/evil")
        let result = try CLI.run(["synth", link, "-o", "out"], cwd: work, timeout: timeout)
        var outside: [String] = []
        var output: [String] = []
        let allowed: Set<String> = ["a", "a/b", "a/b/c", "a/b/c/" + link, "a/b/c/out"]
        for path in (FileManager.default.subpaths(atPath: sandbox) ?? []).sorted() {
            if path.hasPrefix("a/b/c/out/") {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: sandbox + "/" + path, isDirectory: &isDir), !isDir.boolValue {
                    output.append(String(path.dropFirst("a/b/c/out/".count)))
                }
            } else if !allowed.contains(path) {
                outside.append(path)
            }
        }
        if !evilBefore && FileManager.default.fileExists(atPath: "/tmp/evil") { outside.append("/tmp/evil") }
        let outExists = FileManager.default.fileExists(atPath: work + "/out")
        try? FileManager.default.removeItem(atPath: sandbox)
        return Run(result: result, outside: outside, output: output, outExists: outExists)
    }

    /// A refused spec: exit 1, exactly these error and note lines, nothing written.
    static func expectRefused(_ run: Run, _ problems: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.result.status == 1, "stderr: \(run.result.stderr.prefix(2000))", sourceLocation: sourceLocation)
        #expect(run.problems == problems, sourceLocation: sourceLocation)
        #expect(run.result.stderr.hasSuffix("ecrsynth: nothing written\n"), sourceLocation: sourceLocation)
        #expect(run.output.isEmpty && run.outside.isEmpty && !run.outExists, "written: \(run.output) \(run.outside)", sourceLocation: sourceLocation)
    }

    // MARK: committed cases (Fixtures/hostile)

    /// Case name → the exact error and note lines (the spec path is the case's file name).
    static let refused: [(String, [String])] = [
        ("empty", ["empty.yaml:1:1: error: spec is empty; it needs at least 'version', 'stack' and 'repositories'"]),
        ("comment-only", ["comment-only.yaml:1:1: error: spec is empty; it needs at least 'version', 'stack' and 'repositories'"]),
        ("billion-laughs", ["billion-laughs.yaml:9:14: error: aliases expand the document beyond 2000000 nodes; share less through '*f'"]),
        ("billion-laughs-merge", ["billion-laughs-merge.yaml:8:69: error: aliases expand the document beyond 2000000 nodes; share less through '*x4'"]),
        ("invalid-utf8", ["invalid-utf8.yaml:6:23: error: the spec is not valid UTF-8: invalid trailing UTF-8 octet (byte 0x20)"]),
        ("nul-byte", ["nul-byte.yaml:4:11: error: control characters are not allowed (byte 0x00)"]),
        ("utf16le-bom", ["utf16le-bom.yaml:1:1: error: input is UTF-16 encoded; save the spec as UTF-8"]),
        ("utf16be-no-bom", ["utf16be-no-bom.yaml:1:1: error: input is UTF-16 encoded; save the spec as UTF-8"]),
        ("tabs", ["tabs.yaml:4:1: error: found a tab; YAML is indented with spaces only"]),
        ("undefined-alias", ["undefined-alias.yaml:6:25: error: undefined alias 'nowhere'"]),
        ("merge-key-onto-sequence", [
            "merge-key-onto-sequence.yaml:9:31: error: a merge key '<<' takes a mapping or a list of mappings, not a scalar",
            "merge-key-onto-sequence.yaml:9:37: error: a merge key '<<' takes a mapping or a list of mappings, not a scalar",
        ]),
        ("two-documents", ["two-documents.yaml:6:1: error: found a second YAML document; a spec is a single document"]),
        ("id-dotdot", ["id-dotdot.yaml:4:9: error: repository id '../../etc/passwd' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)"]),
        ("id-slash", ["id-slash.yaml:4:9: error: repository id 'a/b' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)"]),
        ("id-escaped-nul", ["id-escaped-nul.yaml:4:9: error: repository id 'Re\\u{0}po' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)"]),
        ("id-confusable-cyrillic", ["id-confusable-cyrillic.yaml:4:9: error: repository id 'R\u{435}po' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)"]),
        ("stack-name-dotdot", ["stack-name-dotdot.yaml:2:15: error: stack name '../../tmp/evil' must start with a letter and hold only letters, digits and '-' (at most 128 characters)"]),
        ("stack-name-slash", ["stack-name-slash.yaml:2:15: error: stack name 'a/b' must start with a letter and hold only letters, digits and '-' (at most 128 characters)"]),
        ("stack-name-escaped-nul", ["stack-name-escaped-nul.yaml:2:15: error: stack name 'Stack\\u{0}x' must start with a letter and hold only letters, digits and '-' (at most 128 characters)"]),
        ("stack-name-confusable-cyrillic", ["stack-name-confusable-cyrillic.yaml:2:15: error: stack name 'St\u{430}ck' must start with a letter and hold only letters, digits and '-' (at most 128 characters)"]),
        ("stack-name-zero-width", ["stack-name-zero-width.yaml:2:15: error: stack name 'Stack\u{200B}' must start with a letter and hold only letters, digits and '-' (at most 128 characters)"]),
        ("role-name-dotdot", ["role-name-dotdot.yaml:8:27: error: role name '../../../tmp/evil' must be 1 to 64 letters, digits or '+=,.@_-'"]),
        ("role-name-confusable", ["role-name-confusable.yaml:8:27: error: role name 'ci\u{430}builder' must be 1 to 64 letters, digits or '+=,.@_-'"]),
        ("user-name-path", ["user-name-path.yaml:8:27: error: user name 'a/../../b' must be 1 to 64 letters, digits or '+=,.@_-'"]),
        ("account-dotdot", ["account-dotdot.yaml:8:30: error: 'account' must be a 12-digit AWS account ID, got '../123456789012'"]),
        ("target-arn-dotdot", ["target-arn-dotdot.yaml:9:19: error: target 'arn:aws:sns:eu-west-1:123456789012:../../../tmp/evil' is not the ARN of an SNS topic, SQS queue, Lambda function or event bus"]),
        ("target-arn-slash", ["target-arn-slash.yaml:9:19: error: target 'arn:aws:lambda:eu-west-1:123456789012:function:a/b' is not the ARN of an SNS topic, SQS queue, Lambda function or event bus"]),
        ("repository-name-dotdot", ["repository-name-dotdot.yaml:5:21: error: invalid repository name '../../etc': it may hold only lowercase letters and digits, with single '.', '_' or '-' between them, in components separated by '/'"]),
        ("event-rule-id-dotdot", ["event-rule-id-dotdot.yaml:8:13: error: event rule id '../x' must start with a letter and hold only letters, digits, '-' and '_'"]),
        // Control characters from the spec are shown escaped, never sent to the terminal.
        ("terminal-escapes", [
            "terminal-escapes.yaml:2:15: error: stack name '\\u{1B}]0;pwned\\u{7}\\u{1B}[2J' must start with a letter and hold only letters, digits and '-' (at most 128 characters)",
            "terminal-escapes.yaml:4:9: error: repository id 'R\\u{1B}[31mED' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)",
        ]),
        ("newline-injection", [
            "newline-injection.yaml:2:15: error: stack name 'A\\u{A}::warning file=x::injected' must start with a letter and hold only letters, digits and '-' (at most 128 characters)",
            "newline-injection.yaml:4:9: error: repository id 'R\\u{D}\\u{A}fake.yaml:1:1: error: forged' must start with a letter and hold only letters, digits, '-' and '_' (at most 200 characters)",
        ]),
    ]

    @Test(arguments: refused.map(\.0))
    func committedCaseIsRefused(_ name: String) throws {
        let expected = Self.refused.first { $0.0 == name }!.1
        Self.expectRefused(try Self.synth(Self.hostile + "/\(name).yaml"), expected)
    }

    /// Every committed case is in one of the two lists, so a new file cannot go untested.
    @Test func everyCommittedCaseIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.hostile).filter { $0.hasSuffix(".yaml") }
        let listed = Set(Self.refused.map { $0.0 + ".yaml" } + Self.accepted.map { $0.0 + ".yaml" }
                         + ["merge-key-sequence-of-mappings.yaml"])
        #expect(Set(files) == listed)
    }

    /// Valid specs with unusual names: accepted, and every file they produce is inside `out/`.
    static let accepted: [(String, [String])] = [
        ("confusable-valid", ["Hostile.template.json", "manifest.json"]),
        ("role-name-dots", ["Hostile.template.json", "manifest.json", "policies/role-...json", "policies/user-....json"]),
    ]

    @Test(arguments: accepted.map(\.0))
    func committedCaseIsAccepted(_ name: String) throws {
        let run = try Self.synth(Self.hostile + "/\(name).yaml")
        #expect(run.result.status == 0, "stderr: \(run.result.stderr)")
        #expect(run.outside.isEmpty)
        #expect(Set(run.output) == Set(Self.accepted.first { $0.0 == name }!.1))
        #expect(!run.result.stderr.contains(": error: "))
    }

    @Test func mergeOntoSequenceOfMappingsMergesEveryMapping() throws {
        let run = try Self.synth(Self.hostile + "/merge-key-sequence-of-mappings.yaml")
        #expect(run.result.status == 1)
        #expect(run.problems.count == 1)
        #expect(run.problems.first?.hasPrefix("merge-key-sequence-of-mappings.yaml:10:9: error: unknown key 'maxImageAge' in a repository") == true)
        #expect(run.output.isEmpty && run.outside.isEmpty)
    }

    /// GitHub workflow commands: a CR LF or LF in a spec value is escaped and cannot start a forged command.
    @Test func githubDiagnosticsCannotBeForged() throws {
        let spec = Self.hostile + "/newline-injection.yaml"
        let r = try CLI.run(["validate", "--diagnostics", "github", spec])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasPrefix("::error file=") })
        #expect(lines[1].contains("repository id 'R%0D%0Afake.yaml:1:1: error: forged'"))
        let esc = try CLI.run(["validate", "--diagnostics", "github", Self.hostile + "/terminal-escapes.yaml"])
        #expect(!esc.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    // MARK: generated cases (Tests/hostile/generate.py)

    static func generatedCase(_ name: String) throws -> String {
        let dir = try #require(generated, "Tests/hostile/generate.py could not run (is python3 installed?)")
        return dir + "/" + name
    }

    @Test func deepFlowNesting200k() throws {
        Self.expectRefused(try Self.synth(try Self.generatedCase("deep-flow-200k.yaml")),
                      ["deep-flow-200k.yaml:3:78: error: nesting is deeper than 64 levels"])
    }

    @Test func deepBlockNesting100k() throws {
        Self.expectRefused(try Self.synth(try Self.generatedCase("deep-block-100k.yaml")),
                      ["deep-block-100k.yaml:4:127: error: nesting is deeper than 64 levels"])
    }

    @Test func deepBlockMappings() throws {
        Self.expectRefused(try Self.synth(try Self.generatedCase("deep-block-mapping-2k.yaml")),
                      ["deep-block-mapping-2k.yaml:67:68: error: nesting is deeper than 64 levels"])
    }

    @Test func scalarOf50MBIsRefusedBeforeParsing() throws {
        let spec = try Self.generatedCase("scalar-50mb.yaml")
        let size = try #require(FileManager.default.attributesOfItem(atPath: spec)[.size] as? Int)
        let run = try Self.synth(spec)
        #expect(run.result.status == 74)
        #expect(run.result.stderr == "scalar-50mb.yaml: error: the spec is \(size) bytes; the largest accepted is 16777216 bytes\n")
        #expect(run.output.isEmpty && run.outside.isEmpty)
    }

    @Test func scalarOf15MBIsParsed() throws {
        let run = try Self.synth(try Self.generatedCase("scalar-15mb.yaml"))
        #expect(run.result.status == 1)
        #expect(run.problems.count == 1)
        #expect(run.problems.first?.hasPrefix("scalar-15mb.yaml:7:5: error: unknown key 'note' in a repository") == true)
        #expect(run.output.isEmpty && run.outside.isEmpty)
    }

    @Test func millionRepositoriesHitTheNodeBudget() throws {
        Self.expectRefused(try Self.synth(try Self.generatedCase("million-repositories.yaml")),
                      ["million-repositories.yaml:666667:8: error: document has more than 2000000 nodes"])
    }

    @Test func tenThousandDuplicateKeys() throws {
        let run = try Self.synth(try Self.generatedCase("duplicate-keys-10k.yaml"))
        #expect(run.result.status == 1)
        let errors = run.problems.filter { $0.contains(": error: ") }
        #expect(errors.count == 9_999)
        #expect(errors.allSatisfy { $0.hasSuffix(": error: duplicate key 'team'") })
        #expect(errors.first == "duplicate-keys-10k.yaml:9:7: error: duplicate key 'team'")
        #expect(run.problems.filter { $0 == "duplicate-keys-10k.yaml:8:7: note: 'team' first defined here" }.count == 9_999)
        #expect(run.output.isEmpty && run.outside.isEmpty)
    }

    @Test func oneMegabyteKey() throws {
        let run = try Self.synth(try Self.generatedCase("key-1mb.yaml"))
        #expect(run.result.status == 1)
        #expect(run.problems.count == 1)
        let line = try #require(run.problems.first)
        #expect(line == "key-1mb.yaml:8:9: error: tag key '" + String(repeating: "k", count: 1 << 20) + "' must be 1 to 127 characters long")
        #expect(run.output.isEmpty && run.outside.isEmpty)

        Self.expectRefused(try Self.synth(try Self.generatedCase("key-1mb-implicit.yaml")),
                      ["key-1mb-implicit.yaml:8:1048583: error: mapping values are not allowed in this context"])
        Self.expectRefused(try Self.synth(try Self.generatedCase("key-1mb-top-level.yaml")), [
            "key-1mb-top-level.yaml:3:1048577: error: could not find expected ':'",
            "key-1mb-top-level.yaml:3:1: note: while scanning a simple key",
        ])
    }

    @Test func manyAnchorsAndWideFlow() throws {
        let anchors = try Self.synth(try Self.generatedCase("anchors-50k.yaml"))
        #expect(anchors.result.status == 1)
        #expect(anchors.problems.first == "anchors-50k.yaml:8:7: error: repository 'Repo' would carry 50000 tags with the stack's; AWS allows at most 50")
        #expect(anchors.output.isEmpty && anchors.outside.isEmpty)
        let wide = try Self.synth(try Self.generatedCase("wide-flow-1m.yaml"))
        #expect(wide.result.status == 1)
        #expect(wide.problems.count == 1)
        #expect(wide.problems.first?.hasPrefix("wide-flow-1m.yaml:8:5: error: unknown key 'x' in a repository") == true)
        #expect(wide.output.isEmpty && wide.outside.isEmpty)
    }

    // MARK: SPEC that is not a regular file

    @Test func specThatIsNotAFile() throws {
        let dir = CLI.tempDir()
        let folder = dir + "/folder.yaml"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/fifo.yaml", 0o644) == 0)
        let cases: [(String, String)] = [
            (folder, "folder.yaml: error: the spec is a directory; give a YAML file\n"),
            (dir + "/fifo.yaml", "fifo.yaml: error: the spec is a FIFO; give a YAML file\n"),
            ("/dev/zero", "zero.yaml: error: the spec is a character device; give a YAML file\n"),
            (dir + "/missing.yaml", "missing.yaml: error: cannot open the spec: No such file or directory\n"),
        ]
        for (spec, message) in cases {
            let name = message.components(separatedBy: ":")[0]
            let run = try Self.synth(spec, name: name, timeout: 60)
            #expect(run.result.status == 74, "\(spec)")
            #expect(run.result.stderr == message)
            #expect(run.output.isEmpty && run.outside.isEmpty && !run.outExists)
        }
        // Given directly (no link in between), as a user would.
        let zero = try CLI.run(["synth", "/dev/zero", "-o", dir + "/out"], timeout: 60)
        #expect(zero.status == 74)
        #expect(zero.stderr == "/dev/zero: error: the spec is a character device; give a YAML file\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }
}

/// Every input in Fixtures/fuzz/regressions/ (what fuzzing or the hostile corpus once broke) goes through
/// the whole pipeline again, in process as the fuzzer drives it and through the CLI: no crash, no hang,
/// and an ordinary outcome (exit 0 or 1).
@Suite struct FuzzRegressionTests {
    static let folder = CLI.fixtures.appendingPathComponent("fuzz/regressions").path

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { !$0.hasPrefix(".") && !$0.hasPrefix("README") }.sorted()
    }

    @Test(arguments: inputs)
    func regressionInputRunsCleanly(_ name: String) throws {
        let path = Self.folder + "/" + name
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let checked = Pipeline.check(Array(bytes))
        _ = DiagnosticFormatter.text(checked.diagnostics, path: name)
        _ = DiagnosticFormatter.json([(path: name, diagnostics: checked.diagnostics)])
        let github = DiagnosticFormatter.github(checked.diagnostics, path: name)
        #expect(github.split(separator: "\n").allSatisfy { $0.hasPrefix("::") }, "a diagnostic broke out of its workflow command")
        if let stacks = checked.stacks {
            let files = Pipeline.render(stacks)
            #expect(files.last?.path == "manifest.json")
        }
        // The harness itself, built without libFuzzer: runs the input once with every oracle of the
        // fuzzer (safe paths, deterministic output, JSON and YAML templates that read back).
        let harness = (CLI.binary as NSString).deletingLastPathComponent + "/ecrsynth-fuzz"
        if FileManager.default.isExecutableFile(atPath: harness) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: harness)
            p.arguments = [path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            var env = ProcessInfo.processInfo.environment
            env["SWIFT_BACKTRACE"] = "enable=no"
            p.environment = env
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationReason == .exit && p.terminationStatus == 0, "ecrsynth-fuzz \(name) failed: run it to see which oracle")
        } else {
            print("FuzzRegressionTests: no \(harness); only the CLI and in-process checks ran")
        }
        let r = try CLI.run(["validate", path], timeout: 120)
        #expect(r.status == 0 || r.status == 1, "exit \(r.status): \(r.stderr.prefix(500))")
        #expect(!r.stderr.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) },
                "a control character from the spec reached the terminal")
    }
}

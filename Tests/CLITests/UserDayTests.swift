import Foundation
import Testing

/// ecrsynth in a user's day: `explain`, caret diagnostics, `synth --check --diff`, `init`, the
/// pre-commit hook, the completions and man page, and every command line docs/ci.md shows.
enum UserDay {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs ecrsynth with extra environment variables (NO_COLOR=1 always, as `CLI.run`).
    static func run(_ args: [String], cwd: String? = nil, env extra: [String: String] = [:],
                    removing: [String] = ["ECRSYNTH_CARETS"]) throws -> CLI.Result {
        try exec(CLI.binary, args, cwd: cwd, env: extra, removing: removing)
    }

    static func exec(_ tool: String, _ args: [String], cwd: String? = nil, env extra: [String: String] = [:],
                     removing: [String] = [], stdin: String? = nil) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for k in removing { env[k] = nil }
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let scratch = CLI.tempDir()
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/err"))
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { usleep(2_000) }
        if p.isRunning {
            p.terminate()
            Issue.record("\(tool) \(args) did not finish within 60 s")
        }
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let o = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/out"))) ?? Data()
        let e = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/err"))) ?? Data()
        try? FileManager.default.removeItem(atPath: scratch)
        return CLI.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                          stderr: String(decoding: e, as: UTF8.self))
    }

    /// Compares with a golden file; RECORD_SNAPSHOTS=1 writes it and fails, as the fixture tests do.
    static func assertGolden(_ actual: String, _ file: URL, sourceLocation: SourceLocation = #_sourceLocation) {
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try? Data(actual.utf8).write(to: file)
            Issue.record("recorded \(file.lastPathComponent); unset RECORD_SNAPSHOTS and run again", sourceLocation: sourceLocation)
            return
        }
        let expected = (try? String(contentsOf: file, encoding: .utf8)) ?? "<missing \(file.path)>"
        #expect(actual == expected, "\(file.lastPathComponent) differs", sourceLocation: sourceLocation)
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<missing \(path)>"
    }

    static func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Every regular file under `dir`, by relative path.
    static func tree(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
        for case let rel as String in e {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = FileManager.default.contents(atPath: dir + "/" + rel)
            }
        }
        return out
    }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/\(name)", "/bin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

// MARK: - Caret diagnostics

@Suite struct CaretDiagnostics {
    static let dir = UserDay.root.appendingPathComponent("Fixtures/carets")
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    @Test func thereAreCases() {
        #expect(Self.cases.count >= 3)
    }

    /// The terminal screenshot: what `ecrsynth validate` prints on a terminal, colour off.
    @Test(arguments: cases)
    func screenshot(_ name: String) throws {
        let r = try UserDay.run(["validate", name], cwd: Self.dir.path, env: ["ECRSYNTH_CARETS": "1"])
        #expect(r.status == 1)
        #expect(!r.stderr.contains("\u{1B}"), "no colour")
        UserDay.assertGolden(r.stderr, Self.dir.appendingPathComponent(name.replacingOccurrences(of: ".yaml", with: ".stderr")))
    }

    /// The plain lines come first and are unchanged; without a terminal there is nothing else.
    @Test(arguments: cases)
    func plainLinesStayParseable(_ name: String) throws {
        let carets = try UserDay.run(["validate", name], cwd: Self.dir.path, env: ["ECRSYNTH_CARETS": "1"])
        let plain = try UserDay.run(["validate", name], cwd: Self.dir.path)
        let off = try UserDay.run(["validate", name], cwd: Self.dir.path, env: ["ECRSYNTH_CARETS": "0"])
        #expect(plain.stderr == off.stderr)
        #expect(!plain.stderr.contains(" | ") && !plain.stderr.contains("^\n"))
        let kept = carets.stderr.split(separator: "\n").filter { $0.hasPrefix(name + ":") }.map { $0 + "\n" }.joined()
        #expect(kept == plain.stderr)
    }

    /// On a real terminal (a pseudo-terminal through `script`), carets appear without being asked.
    @Test func onATerminalByDefault() throws {
        guard let script = UserDay.tool("script") else { return }
        let name = "readme.yaml"
        let r = try UserDay.exec(script, ["-qec", "\(CLI.binary) validate \(name)", "/dev/null"], cwd: Self.dir.path,
                                 env: ["TERM": "xterm"], removing: ["ECRSYNTH_CARETS", "NO_COLOR"])
        let text = r.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(text.contains("9 |\u{1B}[0m     imageScanOnPsh: true\n"), "\(text)")
        #expect(text.contains("|\u{1B}[0m     \u{1B}[1;31m^"), "coloured caret on a terminal: \(text)")
    }

    @Test func synthShowsCaretsToo() throws {
        let out = CLI.tempDir()
        let r = try UserDay.run(["synth", "readme.yaml", "-o", out], cwd: Self.dir.path, env: ["ECRSYNTH_CARETS": "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("9 |     imageScanOnPsh: true\n  |     ^\n"))
        #expect(r.stderr.hasSuffix("ecrsynth: nothing written\n"))
    }
}

// MARK: - explain

@Suite struct ExplainCommand {
    @Test(arguments: ["seed", "every-key", "many-repositories", "lifecycle-archive-combined"])
    func matchesTheGoldens(_ name: String) throws {
        let spec = UserDay.root.appendingPathComponent("Fixtures/synth/\(name)/spec.yaml").path
        let nowhere = CLI.tempDir() + "/none"
        let text = try UserDay.run(["explain", spec, "-o", nowhere])
        #expect(text.status == 0)
        #expect(text.stdout == UserDay.read(UserDay.root.appendingPathComponent("Fixtures/explain/\(name).txt").path))
        let json = try UserDay.run(["explain", spec, "--format", "json", "-o", nowhere])
        #expect(json.status == 0)
        #expect(json.stdout == UserDay.read(UserDay.root.appendingPathComponent("Fixtures/explain/\(name).json").path))
    }

    /// The example in docs/explain.md is what the command prints for the example spec.
    @Test func theDocumentedExampleIsCurrent() throws {
        let doc = UserDay.read(UserDay.root.appendingPathComponent("docs/explain.md").path)
        let afterHeading = try #require(doc.range(of: "## Text\n")).upperBound
        let open = try #require(doc.range(of: "```\n", range: afterHeading..<doc.endIndex))
        let close = try #require(doc.range(of: "\n```\n", range: open.upperBound..<doc.endIndex))
        let documented = String(doc[open.upperBound..<close.lowerBound]) + "\n"
        let spec = UserDay.root.appendingPathComponent("Fixtures/example/ecrsynth.yaml").path
        let r = try UserDay.run(["explain", spec, "-o", CLI.tempDir() + "/none"])
        #expect(r.stdout == documented)
    }

    @Test func invalidSpecsAndUsage() throws {
        let carets = UserDay.root.appendingPathComponent("Fixtures/carets").path
        let bad = try UserDay.run(["explain", "readme.yaml"], cwd: carets)
        #expect(bad.status == 1)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.hasSuffix("readme.yaml: 3 errors, 1 warning\n"))
        #expect(try UserDay.run(["explain", "--format", "xml", "readme.yaml"], cwd: carets).status == 64)
        #expect(try UserDay.run(["explain", "no-such.yaml"], cwd: carets).status == 74)
    }

    /// Stacks come from the output folder's manifest, as synth places them.
    @Test func stacksFollowTheManifest() throws {
        let dir = CLI.tempDir()
        let spec = UserDay.root.appendingPathComponent("Fixtures/explain/split-stacks.yaml").path
        #expect(try UserDay.run(["synth", spec, "-o", dir + "/out"]).status == 0)
        let r = try UserDay.run(["explain", spec, "-o", dir + "/out", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let stacks = (object?["stacks"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(stacks == ["Registry", "Registry-2"])
        let manifest = UserDay.read(dir + "/out/manifest.json")
        #expect(manifest.contains("\"Registry-2\""))
    }
}

// MARK: - synth --check --diff

@Suite struct SynthCheckDiff {
    let example = UserDay.root.appendingPathComponent("Fixtures/example/ecrsynth.yaml").path

    @Test func aPatchThatBringsTheOutputUpToDate() throws {
        let dir = CLI.tempDir()
        #expect(try UserDay.run(["synth", example, "-o", "out"], cwd: dir).status == 0)
        // Change the spec: a rule changes, a grant (and its cross-account file) goes, an SQS target
        // (and its policy file) appears; and a file the manifest lists is missing.
        var spec = UserDay.read(example)
        spec = spec.replacingOccurrences(of: "maxImageAge: 30d", with: "maxImageAge: 14d")
        spec = spec.replacingOccurrences(of: "      - principal: {account: \"210987654321\"}\n        access: pull\n", with: "")
        spec = spec.replacingOccurrences(of: "targets: [arn:aws:sns:eu-west-1:123456789012:scan-results]",
                                         with: "targets: [arn:aws:sns:eu-west-1:123456789012:scan-results, arn:aws:sqs:eu-west-1:123456789012:scans]")
        try UserDay.write(spec, dir + "/changed.yaml")
        let before = UserDay.tree(dir + "/out")

        let r = try UserDay.run(["synth", "--check", "--diff", "changed.yaml", "-o", "out"], cwd: dir)
        #expect(r.status == 1)
        #expect(UserDay.tree(dir + "/out") == before, "--check --diff writes nothing")
        #expect(r.stderr.contains("out is stale; run 'ecrsynth synth changed.yaml -o out':\n"))
        #expect(r.stdout.hasPrefix("--- out/ContainerRegistry.template.json\n+++ out/ContainerRegistry.template.json (synth)\n@@ -"))
        #expect(r.stdout.contains("--- /dev/null\n+++ out/policies/targets/sqs-eu-west-1-123456789012-scans.json (synth)\n@@ -0,0 +1,"))
        #expect(r.stdout.contains("--- out/policies/cross-account/210987654321-account.json\n+++ /dev/null\n@@ -1,"))
        #expect(r.stdout.contains("\n-     \"LifecyclePolicyText\": "))

        // Applied with patch(1), the diff gives exactly what synth writes.
        if let patch = UserDay.tool("patch") {
            let applied = try UserDay.exec(patch, ["-p0", "-s", "-E"], cwd: dir, stdin: r.stdout)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            let fresh = CLI.tempDir()
            #expect(try UserDay.run(["synth", dir + "/changed.yaml", "-o", fresh]).status == 0)
            #expect(UserDay.tree(dir + "/out") == UserDay.tree(fresh))
            let now = try UserDay.run(["synth", "--check", "--diff", "changed.yaml", "-o", "out"], cwd: dir)
            #expect(now.status == 0)
            #expect(now.stdout.hasPrefix("out is up to date ("))
        }
    }

    @Test func upToDatePrintsNoDiff() throws {
        let dir = CLI.tempDir()
        #expect(try UserDay.run(["synth", example, "-o", "out"], cwd: dir).status == 0)
        let r = try UserDay.run(["synth", "--diff", example, "-o", "out"], cwd: dir)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("out is up to date ("))
        #expect(!r.stdout.contains("@@"))
    }

    @Test func diffAloneWritesNothing() throws {
        let dir = CLI.tempDir()
        let r = try UserDay.run(["synth", "--diff", example, "-o", "out"], cwd: dir)
        #expect(r.status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        #expect(r.stdout.contains("--- /dev/null\n+++ out/manifest.json (synth)\n"))
    }
}

// MARK: - init

@Suite struct InitCommand {
    @Test func aStarterThatValidatesAndSynthesizes() throws {
        let dir = CLI.tempDir()
        let r = try UserDay.run(["init"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("wrote ecrsynth.yaml; next:\n"))
        let text = UserDay.read(dir + "/ecrsynth.yaml")
        #expect(text.hasPrefix("# yaml-language-server: $schema=./ecrsynth.schema.json\n"))
        #expect(text.contains("ecrsynth schema > ecrsynth.schema.json"))

        // It validates with no error and no warning, even with --strict, by the default lookup.
        let validate = try UserDay.run(["validate", "--strict"], cwd: dir)
        #expect(validate.status == 0)
        #expect(validate.stderr == "ecrsynth.yaml: 0 errors, 0 warnings\n")
        // It synthesizes as is.
        let synth = try UserDay.run(["synth"], cwd: dir)
        #expect(synth.status == 0, "\(synth.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/ecrsynth.out/ContainerRegistry.template.json"))
        // And the explanation reads.
        let explain = try UserDay.run(["explain"], cwd: dir)
        #expect(explain.stdout.contains("1. priority 1: keep the 20 newest images with a tag starting with 'release'; expire older ones"))

        // The schema it points at can be written where the comment says.
        let schema = try UserDay.run(["schema"], cwd: dir)
        #expect(schema.status == 0)
    }

    @Test func refusesToOverwriteUnlessForced() throws {
        let dir = CLI.tempDir()
        try UserDay.write("mine\n", dir + "/ecrsynth.yaml")
        let r = try UserDay.run(["init"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr == "ecrsynth: error: ecrsynth.yaml already exists; use --force to replace it\n")
        #expect(UserDay.read(dir + "/ecrsynth.yaml") == "mine\n")
        let forced = try UserDay.run(["init", "--force"], cwd: dir)
        #expect(forced.status == 0)
        #expect(UserDay.read(dir + "/ecrsynth.yaml").hasPrefix("# yaml-language-server:"))
    }

    @Test func pathsAndFolders() throws {
        let dir = CLI.tempDir()
        #expect(try UserDay.run(["init", "registry.yaml"], cwd: dir).status == 0)
        #expect(try UserDay.run(["validate", "registry.yaml"], cwd: dir).status == 0)
        try FileManager.default.createDirectory(atPath: dir + "/deploy", withIntermediateDirectories: true)
        let r = try UserDay.run(["init", "deploy"], cwd: dir)
        #expect(r.status == 0)
        #expect(FileManager.default.fileExists(atPath: dir + "/deploy/ecrsynth.yaml"))
        #expect(try UserDay.run(["init", "no/such/folder/x.yaml"], cwd: dir).status == 74)
    }
}

// MARK: - docs/ci.md, pre-commit, completions, man page, make install

@Suite struct AroundTheBinary {
    /// The `ecrsynth` command lines of the code blocks of a Markdown file, in order: from `ecrsynth`
    /// to the end of the line or the first shell operator, split into words.
    static func commandLines(_ markdown: String) -> [[String]] {
        var out: [[String]] = []
        var fenced = false
        var pending = ""
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                fenced.toggle()
                continue
            }
            guard fenced else { continue }
            var text = pending + line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") {
                pending = String(text.dropLast()) + " "
                continue
            }
            pending = ""
            for prefix in ["- ", "run: "] where text.hasPrefix(prefix) { text = String(text.dropFirst(prefix.count)) }
            guard text.hasPrefix("ecrsynth ") else { continue }
            var words: [String] = []
            for word in text.split(separator: " ").map(String.init) {
                if [">", ">>", "|", "&&", "||", ";", "2>&1", "#"].contains(word) || word.hasPrefix("#") { break }
                words.append(word)
            }
            out.append(Array(words.dropFirst()))
        }
        return out
    }

    /// A folder like the one the CI examples run in.
    static func workspace() throws -> String {
        let dir = CLI.tempDir()
        let example = UserDay.read(UserDay.root.appendingPathComponent("Fixtures/example/ecrsynth.yaml").path)
        try UserDay.write(example, dir + "/ecrsynth.yaml")
        try UserDay.write(example.replacingOccurrences(of: "maxImageAge: 30d", with: "maxImageAge: 90d"), dir + "/base.yaml")
        try FileManager.default.copyItem(
            atPath: UserDay.root.appendingPathComponent("Fixtures/preview/against-rule-change/images.json").path,
            toPath: dir + "/images.json")
        #expect(try UserDay.run(["synth", "ecrsynth.yaml", "-o", "ecrsynth.out"], cwd: dir).status == 0)
        return dir
    }

    @Test func everyCommandOfTheCIDocRuns() throws {
        let doc = UserDay.read(UserDay.root.appendingPathComponent("docs/ci.md").path)
        let commands = Self.commandLines(doc)
        let subcommands = Set(commands.compactMap(\.first))
        for needed in ["validate", "synth", "explain", "preview", "schema", "--generate-completion-script"] {
            #expect(subcommands.contains(needed), "docs/ci.md runs no '\(needed)'")
        }
        #expect(commands.contains(["validate", "--diagnostics", "github", "ecrsynth.yaml"]))
        #expect(commands.contains(["synth", "--check", "--diff", "ecrsynth.yaml", "-o", "ecrsynth.out"]))
        #expect(commands.contains { $0.first == "preview" && $0.contains("--against") })
        #expect(doc.contains("GitHub Actions") && doc.contains("GitLab CI"))

        let dir = try Self.workspace()
        for args in commands {
            #expect(!args.contains { $0.contains("$") || $0.contains("\"") || $0.contains("'") },
                    "keep ecrsynth lines free of shell variables and quotes: \(args)")
            let r = try UserDay.run(args, cwd: dir)
            #expect(r.status == 0, "ecrsynth \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)")
            if args.first == "validate", args.contains("github") {
                #expect(r.stdout.contains("::warning file=ecrsynth.yaml,line="))
            }
            if args.first == "explain" { #expect(r.stdout.contains("Repository 'Repository'")) }
            if args.first == "preview" { #expect(!r.stdout.isEmpty) }
        }
    }

    @Test func preCommitHook() throws {
        let text = UserDay.read(UserDay.root.appendingPathComponent(".pre-commit-hooks.yaml").path)
        func value(_ key: String) -> String? {
            text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("\(key): ") || $0.hasPrefix("- \(key): ") }
                .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
        }
        #expect(value("id") == "ecrsynth-validate")
        #expect(value("language") == "system")
        #expect(value("entry") == "ecrsynth validate")
        let files = try #require(value("files"))
        let regex = try NSRegularExpression(pattern: files)
        func matches(_ path: String) -> Bool {
            regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
        }
        for path in ["ecrsynth.yaml", "deploy/ecrsynth.yml", "spec.yaml", "a/b/spec.yml"] { #expect(matches(path), "\(path)") }
        for path in ["myecrsynth.yaml", "ecrsynth.yaml.bak", "specs.yaml", "ecrsynth.json"] { #expect(!matches(path), "\(path)") }

        // What pre-commit runs: the entry with the changed files appended.
        let dir = try Self.workspace()
        let entry = try #require(value("entry")).split(separator: " ").dropFirst().map(String.init)
        let ok = try UserDay.run(entry + ["ecrsynth.yaml", "base.yaml"], cwd: dir)
        #expect(ok.status == 0)
        try UserDay.write("version: 2\n", dir + "/spec.yaml")
        let bad = try UserDay.run(entry + ["ecrsynth.yaml", "spec.yaml"], cwd: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("spec.yaml:1:10: error:"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completions(_ shell: String) throws {
        let r = try UserDay.run(["--generate-completion-script", shell])
        #expect(r.status == 0)
        for word in ["explain", "init", "validate", "synth", "preview", "schema"] {
            #expect(r.stdout.contains(word), "\(shell) completion lacks \(word)")
        }
    }

    /// The man page is generated from this dump (generate-manual reads it).
    @Test func manPageSource() throws {
        let r = try UserDay.run(["--experimental-dump-help"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let command = object?["command"] as? [String: Any]
        let names = (command?["subcommands"] as? [[String: Any]])?.compactMap { $0["commandName"] as? String } ?? []
        #expect(Set(["validate", "synth", "explain", "init", "schema", "preview"]).isSubset(of: Set(names)), "\(names)")
    }

    /// `make install` installs the completions and the man page where shells and man look.
    @Test func makeInstallPlacesTheExtras() throws {
        guard let make = UserDay.tool("make") else { return }
        let r = try UserDay.exec(make, ["-n", "install", "PREFIX=/opt/x", "DESTDIR=/stage"], cwd: UserDay.root.path)
        #expect(r.status == 0, "\(r.stderr)")
        for path in ["/stage/opt/x/bin/ecrsynth",
                     "/stage/opt/x/share/bash-completion/completions/ecrsynth",
                     "/stage/opt/x/share/zsh/site-functions/_ecrsynth",
                     "/stage/opt/x/share/fish/vendor_completions.d/ecrsynth.fish",
                     "/stage/opt/x/share/man/man1/ecrsynth.1"] {
            #expect(r.stdout.contains(path), "make install does not install \(path)")
        }
        #expect(r.stdout.contains("generate-manual"))
    }
}

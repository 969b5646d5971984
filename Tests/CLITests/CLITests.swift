import Foundation
import Testing

/// The built `ecrsynth` next to the test bundle.
enum CLI {
    static let binary: String = {
        if let override = ProcessInfo.processInfo.environment["ECRSYNTH_BIN"] { return override }
        let testBinary = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        var dir = testBinary.deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("ecrsynth")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return "ecrsynth"
    }()

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs ecrsynth; a run that takes longer than `timeout` is killed and reported (a hang).
    static func run(_ args: [String], cwd: String? = nil, stdin: Data? = nil, timeout: TimeInterval = 20) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let scratch = tempDir()
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/err"))
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(2_000) }
        if p.isRunning {
            p.terminate()
            Issue.record("ecrsynth \(args) did not finish within \(timeout) s")
        }
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let outData = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/out"))) ?? Data()
        let errData = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/err"))) ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// One folder for this test process's scratch folders, removed when the process exits.
    static let scratchRoot: String = {
        let root = NSTemporaryDirectory() + "ecrsynth-cli-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: CLI.scratchRoot) }
        return root
    }()

    static func tempDir() -> String {
        let dir = scratchRoot + "/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite struct CLITests {
    let example = CLI.fixtures.appendingPathComponent("example/ecrsynth.yaml").path

    @Test func version() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: ".").count == 3)
    }

    @Test func validExampleValidates() throws {
        let r = try CLI.run(["validate", example])
        #expect(r.status == 0)
        #expect(r.stderr.hasSuffix("\(example): 0 errors, 1 warning\n"))
    }

    @Test func strictTurnsWarningsIntoErrors() throws {
        let r = try CLI.run(["validate", "--strict", example])
        #expect(r.status == 1)
        #expect(r.stderr.contains(": error: ecrsynth cannot set the policy of SNS topic 'scan-results'"))
    }

    @Test func defaultSpecLookup() throws {
        let dir = CLI.tempDir()
        let none = try CLI.run(["validate"], cwd: dir)
        #expect(none.status == 74)
        #expect(none.stderr == "ecrsynth: error: no SPEC given, and neither ./ecrsynth.yaml nor ./spec.yaml exists\n")
        try FileManager.default.copyItem(atPath: example, toPath: dir + "/spec.yaml")
        let found = try CLI.run(["validate"], cwd: dir)
        #expect(found.status == 0)
        #expect(found.stderr.hasSuffix("spec.yaml: 0 errors, 1 warning\n"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try CLI.run(["validate", "--no-such-flag"]).status == 64)
        #expect(try CLI.run(["synth", "--diagnostics", "xml"]).status == 64)
        #expect(try CLI.run(["validate", "--diagnostics", "xml", example]).status == 64)
    }

    @Test func ioErrorsExit74() throws {
        let dir = CLI.tempDir()
        let missing = try CLI.run(["validate", dir + "/nope.yaml"])
        #expect(missing.status == 74)
        #expect(missing.stderr == "\(dir)/nope.yaml: error: cannot open the spec: No such file or directory\n")
        let directory = try CLI.run(["validate", dir])
        #expect(directory.status == 74)
        #expect(directory.stderr == "\(dir): error: the spec is a directory; give a YAML file\n")
        #expect(mkfifo(dir + "/fifo", 0o644) == 0)
        let fifo = try CLI.run(["validate", dir + "/fifo"])
        #expect(fifo.status == 74)
        #expect(fifo.stderr == "\(dir)/fifo: error: the spec is a FIFO; give a YAML file\n")
        let zero = try CLI.run(["validate", "/dev/zero"])
        #expect(zero.status == 74)
        #expect(zero.stderr == "/dev/zero: error: the spec is a character device; give a YAML file\n")
    }

    @Test func jsonAndGitHubDiagnostics() throws {
        let dir = CLI.tempDir()
        let spec = dir + "/bad.yaml"
        try "version: 1\nstack: {name: S}\nrepositories:\n  - id: R\n    imageScanOnPush: yes\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let json = try CLI.run(["validate", "--diagnostics", "json", spec])
        #expect(json.status == 1)
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(doc?["errors"] as? Int == 1)
        let gh = try CLI.run(["validate", "--diagnostics", "github", spec])
        #expect(gh.status == 1)
        #expect(gh.stdout.contains("::error file=\(spec),line=5,col=22,title=ecrsynth::'imageScanOnPush' must be true or false, got 'yes'\n"))
    }

    @Test func synthWritesAndCheckDetectsDrift() throws {
        let dir = CLI.tempDir()
        let out = dir + "/out"
        let first = try CLI.run(["synth", example, "-o", out])
        #expect(first.status == 0)
        let clean = try CLI.run(["synth", "--check", example, "-o", out])
        #expect(clean.status == 0)
        #expect(clean.stdout.hasPrefix("\(out) is up to date"))

        let template = out + "/ContainerRegistry.template.json"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: template))
        bytes[10] = bytes[10] == 0x20 ? 0x21 : 0x20
        try bytes.write(to: URL(fileURLWithPath: template))
        let drift = try CLI.run(["synth", "--check", example, "-o", out])
        #expect(drift.status == 1)
        #expect(drift.stderr.contains("  changed: \(template)\n"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: template)) == bytes, "--check writes nothing")

        try FileManager.default.removeItem(atPath: out + "/manifest.json")
        let missing = try CLI.run(["synth", "--check", example, "-o", out])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("  missing: \(out)/manifest.json\n"))
    }

    @Test func invalidSpecWritesNothing() throws {
        let dir = CLI.tempDir()
        let spec = dir + "/bad.yaml"
        try "version: 1\nstack: {name: S}\nrepositories: []\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let r = try CLI.run(["synth", spec, "-o", dir + "/out"])
        #expect(r.status == 1)
        #expect(r.stderr.hasSuffix("ecrsynth: nothing written\n"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test func sameSpecSameBytes() throws {
        let dir = CLI.tempDir()
        _ = try CLI.run(["synth", example, "-o", dir + "/a"])
        _ = try CLI.run(["synth", example, "-o", dir + "/b"])
        for name in try FileManager.default.subpathsOfDirectory(atPath: dir + "/a") {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: dir + "/a/" + name, isDirectory: &isDir)
            if isDir.boolValue { continue }
            #expect(FileManager.default.contentsEqual(atPath: dir + "/a/" + name, andPath: dir + "/b/" + name), "\(name)")
        }
    }
}

/// Hostile input ends in a diagnostic, never a crash or a hang (timing is measured in `make bench`).
@Suite struct HostileInputTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = CLI.tempDir() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func billionLaughs() throws {
        var text = "version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let r = try CLI.run(["validate", try write(Array(text.utf8), "laughs.yaml")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: aliases expand the document beyond"))
    }

    @Test func deepFlowNesting() throws {
        let r = try CLI.run(["validate", try write(Array(repeating: UInt8(ascii: "["), count: 200_000), "deep.yaml")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("deep.yaml:1:65: error: nesting is deeper than 64 levels"))
    }

    @Test func hugeScalar() throws {
        let bytes = Array("version: 1\nx: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 50_000_000)
        let path = try write(bytes, "big.yaml")
        let r = try CLI.run(["validate", path])
        #expect(r.status == 74)
        #expect(r.stderr == "\(path): error: the spec is 50000014 bytes; the largest accepted is 16777216 bytes\n")
    }

    @Test func invalidUTF8() throws {
        let r = try CLI.run(["validate", try write(Array("version: 1\nstack: ".utf8) + [0xC3, 0x28], "utf8.yaml")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("utf8.yaml:2:9: error: the spec is not valid UTF-8: invalid trailing UTF-8 octet (byte 0x28)"))
    }
}

import Foundation
import Testing

/// The `ecrsynth preview` command itself: file handling and exit codes (the built binary next to the
/// test bundle, or `ECRSYNTH_BIN`).
struct PreviewCLITests {
    static let binary: String? = {
        if let override = ProcessInfo.processInfo.environment["ECRSYNTH_BIN"] { return override }
        var dir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("ecrsynth")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static let example = previewFixtures.appendingPathComponent("all-images-B-pattern").path

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ args: [String], stdin: Data? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Self.binary))
        p.arguments = ["preview"] + args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        p.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil)) func previewsAFileAndStdinAlike() throws {
        let expected = try String(contentsOfFile: Self.example + "/expected.txt", encoding: .utf8)
        let file = try run([Self.example + "/spec.yaml", "--images", Self.example + "/images.json", "--now", "2024-06-01T00:00:00Z"])
        #expect(file.status == 0 && file.stdout == expected && file.stderr == "")
        let piped = try run([Self.example + "/spec.yaml", "--images", "-", "--now", "1717200000"],
                            stdin: try Data(contentsOf: URL(fileURLWithPath: Self.example + "/images.json")))
        #expect(piped.status == 0 && piped.stdout == expected)
        let json = try run(["-", "--images", Self.example + "/images.json", "--now", "2024-06-01T02:00:00+02:00", "--format", "json"],
                           stdin: try Data(contentsOf: URL(fileURLWithPath: Self.example + "/spec.yaml")))
        #expect(json.stdout == (try String(contentsOfFile: Self.example + "/expected.json", encoding: .utf8)))
    }

    @Test(.enabled(if: binary != nil)) func exitCodes() throws {
        let spec = Self.example + "/spec.yaml"
        let missing = try run([spec, "--images", "/nonexistent/images.json"])
        #expect(missing.status == 74)
        #expect(missing.stderr == "/nonexistent/images.json: error: cannot open the images file: No such file or directory\n")
        #expect(try run([spec, "--images", "/"]).status == 74)
        #expect(try run(["/nonexistent/spec.yaml", "--images", Self.example + "/images.json"]).status == 74)
        #expect(try run([spec, "--images", Self.example + "/images.json", "--now", "soon"]).status == 64)
        #expect(try run(["-", "--images", "-"]).status == 64)
        #expect(try run([spec]).status == 64)
        let bad = try run([spec, "--images", "-"], stdin: Data("{\"imageDetails\": [{\"imageDigest\": \"sha256:1\", \"imagePushedAt\": \"yesterday\"}]}".utf8))
        #expect(bad.status == 1)
        #expect(bad.stderr == "<stdin>: error: imageDetails[0].imagePushedAt: expected an ISO 8601 time or epoch seconds, got 'yesterday'\n")
        let unknown = try run([spec, "--images", Self.example + "/images.json", "--repository", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "\(spec): error: no repository 'nope' in the spec; it has 'Example' (docs/example)\n")
    }
}

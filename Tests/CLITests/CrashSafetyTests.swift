import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe output (docs/hostile-input.md, "Crash-safe output"): `ecrsynth synth` rewriting a large
/// output folder is killed with SIGKILL at many points; afterwards every file is the complete old or the
/// complete new version, and the next run converges. Also: a read-only DIR, a DIR that is a file and a
/// full disk each fail with exit 74 and a clear message, and leave the old output as it was.
///
/// What the writer guarantees, and what these tests hold it to: each changed file is written to a sibling
/// `.ecrsynth-<pid>-<name>` temporary, all are flushed, then each is renamed over the old one; files the
/// old manifest lists but the new run does not produce are removed after every other file is written; the
/// manifest comes last. So after a kill: (a) an output that both versions have is never missing or torn;
/// (b) once a removal has happened every other new file is in place; (c) once the manifest is the new one,
/// the folder is exactly the new output (plus temporaries of killed runs); (d) the next run converges and
/// removes those temporaries.
@Suite(.serialized) struct CrashSafetyTests {
    static let tempPrefix = ".ecrsynth-"

    /// A spec of `count` repositories. Version "A" and "B" differ in every repository (its lifecycle rule
    /// and its grant), A has 100 roles B lacks (files B removes) and B 100 roles A lacks (files B adds).
    static func spec(_ version: String, count: Int = 2_000) -> String {
        var s = """
            version: 1
            stack:
              name: Crash
              env: {account: "123456789012", region: eu-west-1}
            defaults: {imageScanOnPush: true, imageTagMutability: IMMUTABLE}
            repositories:

            """
        for i in 0..<count {
            s += "  - id: Repo\(i)\n    repositoryName: team/repo-\(i)\n"
            s += "    lifecycleRules: [{maxImageCount: \(version == "A" ? 10 : 20)}]\n"
            s += "    grants:\n      - principal: {account: \"\(100_000_000_000 + i % 50)\"}\n"
            s += "        access: \(version == "A" ? "pull" : "pullPush")\n"
            if version == "A" && i >= count - 100 { s += "      - principal: {role: old-role-\(i)}\n        access: pull\n" }
            if version == "B" && i < 100 { s += "      - principal: {role: new-role-\(i)}\n        access: pull\n" }
        }
        return s
    }

    /// Every regular file under `dir`, by relative path.
    static func tree(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        for path in FileManager.default.subpaths(atPath: dir) ?? [] {
            var isDir: ObjCBool = false
            let full = dir + "/" + path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                out[path] = FileManager.default.contents(atPath: full) ?? Data()
            }
        }
        return out
    }

    static func isTemp(_ path: String) -> Bool { (path as NSString).lastPathComponent.hasPrefix(tempPrefix) }

    static func copyTree(_ from: String, _ to: String) throws {
        try? FileManager.default.removeItem(atPath: to)
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    /// The paths the manifest in `files` lists.
    static func manifestPaths(_ data: Data?) -> Set<String> {
        guard let data, let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = root["files"] as? [[String: Any]] else { return [] }
        return Set(files.compactMap { $0["path"] as? String })
    }

    /// Starts `ecrsynth synth spec -o dir`, kills it with SIGKILL after `delay` seconds (if still running).
    /// Returns whether it was killed (false: it had already finished).
    static func synthAndKill(_ spec: String, _ dir: String, after delay: TimeInterval) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["synth", spec, "-o", dir]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if delay > 0 { usleep(useconds_t(delay * 1_000_000)) }
        let killed = p.isRunning && kill(p.processIdentifier, SIGKILL) == 0
        p.waitUntilExit()
        return killed && p.terminationReason == .uncaughtSignal
    }

    @Test func sigkillAtManyPointsLeavesOnlyWholeFilesAndTheNextRunConverges() throws {
        let root = CLI.tempDir()
        let specA = root + "/A.yaml", specB = root + "/B.yaml"
        try Self.spec("A").write(toFile: specA, atomically: true, encoding: .utf8)
        try Self.spec("B").write(toFile: specB, atomically: true, encoding: .utf8)

        // The two expected trees: A from scratch, then B written over A without interruption.
        let oldDir = root + "/old", newDir = root + "/new"
        #expect(try CLI.run(["synth", specA, "-o", oldDir], timeout: 300).status == 0)
        try Self.copyTree(oldDir, newDir)
        let started = Date()
        let full = try CLI.run(["synth", specB, "-o", newDir], timeout: 300)
        let fullTime = Date().timeIntervalSince(started)
        #expect(full.status == 0)
        let old = Self.tree(oldDir), new = Self.tree(newDir)
        #expect(old.count > 2_000 && new.count > 2_000)
        #expect(old["manifest.json"] != new["manifest.json"])
        let onlyOld = Set(old.keys).subtracting(new.keys), onlyNew = Set(new.keys).subtracting(old.keys)
        #expect(onlyOld.count == 100 && onlyNew.count == 100)
        #expect(!old.keys.contains(where: Self.isTemp) && !new.keys.contains(where: Self.isTemp))

        // Before writing, synth parses, plans, renders and compares (what `synth --check` does): a few
        // kills land there, the rest are spread over the rewrite itself.
        let checkStart = Date()
        _ = try CLI.run(["synth", "--check", specB, "-o", oldDir], timeout: 300)
        let writeStart = min(Date().timeIntervalSince(checkStart), fullTime * 0.9)
        let runs = 20, early = 4
        func delay(_ i: Int) -> TimeInterval {
            i < early ? writeStart * Double(i) / Double(early)
                      : writeStart + (fullTime - writeStart) * Double(i - early) / Double(runs - early - 1)
        }
        var summary: [String] = []
        var leftoversSeen = 0
        for i in 0..<runs {
            let dir = root + "/run\(i)"
            try Self.copyTree(oldDir, dir)
            let killed = try Self.synthAndKill(specB, dir, after: delay(i))
            let after = Self.tree(dir)
            let temps = after.keys.filter(Self.isTemp).sorted()
            let outputs = after.filter { !Self.isTemp($0.key) }

            // Every output file is the complete old or the complete new version.
            for (path, bytes) in outputs {
                #expect(bytes == old[path] || bytes == new[path], "run \(i): \(path) is neither the old nor the new version")
            }
            // A file both versions have is never missing.
            for path in Set(old.keys).intersection(new.keys) {
                #expect(outputs[path] != nil, "run \(i): \(path) is missing")
            }
            // Temporary files are never listed by either manifest.
            let listed = Self.manifestPaths(outputs["manifest.json"])
            #expect(temps.allSatisfy { !listed.contains($0) })

            let manifestIsNew = outputs["manifest.json"] == new["manifest.json"]
            let newCount = outputs.filter { $0.key != "manifest.json" && new[$0.key] == $0.value && old[$0.key] != $0.value }.count
            let removed = onlyOld.filter { outputs[$0] == nil }.count
            Self.expectOrdered(outputs, old: old, new: new, context: "run \(i)")
            summary.append("run \(i): delay \(String(format: "%.2f", delay(i))) s, \(killed ? "killed" : "finished"), manifest \(manifestIsNew ? "new" : "old"), \(newCount) files new, \(removed)/\(onlyOld.count) removed, \(temps.count) temp files")
            leftoversSeen += temps.count

            // The next uninterrupted run converges on the new tree and removes the temporaries the
            // killed run left.
            let again = try CLI.run(["synth", specB, "-o", dir], timeout: 300)
            #expect(again.status == 0, "run \(i): \(again.stderr)")
            #expect(Self.tree(dir) == new, "run \(i): the next synth did not converge")
            try? FileManager.default.removeItem(atPath: dir)
        }
        print("CrashSafety: full rewrite takes \(String(format: "%.2f", fullTime)) s (writing starts after about \(String(format: "%.2f", writeStart)) s), \(old.count) → \(new.count) files\n  " + summary.joined(separator: "\n  "))
        print("CrashSafety: \(leftoversSeen) temporary files left by killed runs (removed by the next run)")
        try? FileManager.default.removeItem(atPath: root)
    }

    /// (b) and (c) above, for one folder after a kill.
    static func expectOrdered(_ outputs: [String: Data], old: [String: Data], new: [String: Data], context: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let onlyOld = Set(old.keys).subtracting(new.keys)
        if outputs["manifest.json"] == new["manifest.json"] {
            #expect(outputs == new, "\(context): the manifest is new but the folder is not the new output", sourceLocation: sourceLocation)
        } else {
            #expect(outputs["manifest.json"] == old["manifest.json"], sourceLocation: sourceLocation)
            if onlyOld.contains(where: { outputs[$0] == nil }) {
                for (path, bytes) in new where path != "manifest.json" {
                    #expect(outputs[path] == bytes, "\(context): a file was removed before \(path) was written", sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Kills synth at exact steps — just before its N-th rename() or unlink(), through the LD_PRELOAD
    /// shim Tests/hostile/killpoint.c — including the points a timed kill almost never hits: between the
    /// last file and the first removal, between removals, and just before the manifest is renamed.
    @Test func killAtExactStepsOfTheRewrite() throws {
        let root = CLI.tempDir()
        guard let (shim, specA, specB) = try Self.shimAndSpecs(in: root, count: 200, for: "the exact-step kills") else { return }
        let oldDir = root + "/old", newDir = root + "/new"
        #expect(try CLI.run(["synth", specA, "-o", oldDir]).status == 0)
        try Self.copyTree(oldDir, newDir)
        let count = root + "/count"
        #expect(Self.synthWithShim(shim, specB, newDir, env: ["ECRSYNTH_KILL_COUNT": count]) == 0)
        let old = Self.tree(oldDir), new = Self.tree(newDir)
        let steps = try #require(Int(String(contentsOfFile: count, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let removals = Set(old.keys).subtracting(new.keys).count
        #expect(removals == 100)
        let writes = steps - removals - 1  // renames of every file but the manifest
        #expect(writes == new.count - 1)
        let points = Set([1, 2, writes / 2, writes - 1, writes, writes + 1, writes + 2, writes + removals / 2,
                          writes + removals, writes + removals + 1]).sorted()
        var summary: [String] = []
        for n in points {
            let dir = root + "/kill\(n)"
            try Self.copyTree(oldDir, dir)
            let status = Self.synthWithShim(shim, specB, dir, env: ["ECRSYNTH_KILL_AT": String(n)])
            #expect(status == 128 + SIGKILL, "step \(n): exit \(status)")
            let after = Self.tree(dir)
            let outputs = after.filter { !Self.isTemp($0.key) }
            for (path, bytes) in outputs {
                #expect(bytes == old[path] || bytes == new[path], "step \(n): \(path) is neither the old nor the new version")
            }
            for path in Set(old.keys).intersection(new.keys) { #expect(outputs[path] != nil, "step \(n): \(path) is missing") }
            Self.expectOrdered(outputs, old: old, new: new, context: "step \(n)")
            let again = try CLI.run(["synth", specB, "-o", dir])
            #expect(again.status == 0)
            #expect(Self.tree(dir) == new, "step \(n): the next synth did not converge")
            let removed = Set(old.keys).subtracting(new.keys).filter { outputs[$0] == nil }.count
            summary.append("step \(n)/\(steps): manifest \(outputs["manifest.json"] == new["manifest.json"] ? "new" : "old"), \(removed)/\(removals) removed, \(after.count - outputs.count) temp files; next run: \(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
            try? FileManager.default.removeItem(atPath: dir)
        }
        print("CrashSafety: exact-step kills (\(writes) file renames, \(removals) removals, then the manifest):\n  " + summary.joined(separator: "\n  "))
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The order of a rewrite's flushes, traced by the same shim: the temporaries are on disk before
    /// the first rename, the renames and removals before the manifest is replaced, and the manifest's
    /// rename before synth exits; a run that changes nothing flushes nothing.
    @Test func flushesBeforeTheRenamesBeforeTheManifestAndAtTheEnd() throws {
        let root = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard let (shim, specA, specB) = try Self.shimAndSpecs(in: root, count: 30, for: "the flush order") else { return }
        let dir = root + "/out"
        #expect(try CLI.run(["synth", specA, "-o", dir]).status == 0)
        func traced(_ name: String) throws -> [String] {
            let trace = root + "/" + name
            #expect(Self.synthWithShim(shim, specB, dir, env: ["ECRSYNTH_TRACE": trace]) == 0)
            return ((try? String(contentsOfFile: trace, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let ops = try traced("rewrite")
        let manifest = try #require(ops.firstIndex(of: "rename \(dir)/manifest.json"), "\(ops)")
        let firstRename = try #require(ops.firstIndex { $0.hasPrefix("rename ") })
        let lastChange = try #require(ops[..<manifest].lastIndex { $0.hasPrefix("rename ") || $0.hasPrefix("unlink ") })
        #expect(ops.filter { $0.hasPrefix("unlink ") }.count > 0, "the rewrite removes files: \(ops)")
        #expect(ops[..<firstRename].contains("syncfs"), "temporaries flushed before the first rename: \(ops)")
        #expect(ops[lastChange..<manifest].contains("syncfs"), "renames and removals flushed before the manifest: \(ops)")
        #expect(ops.last == "syncfs" && manifest == ops.count - 2, "the manifest's rename flushed last: \(ops)")
        #expect(try traced("again").isEmpty, "an unchanged output is neither renamed nor flushed")
    }

    /// Builds the LD_PRELOAD shim Tests/hostile/killpoint.c in `root` and writes the specs A and B of
    /// `count` repositories there; nil (and a line saying which test is skipped) without a compiler.
    static func shimAndSpecs(in root: String, count: Int, for what: String) throws -> (shim: String, a: String, b: String)? {
        let shim = root + "/killpoint.so"
        let source = CLI.fixtures.deletingLastPathComponent().appendingPathComponent("Tests/hostile/killpoint.c").path
        let cc = sh(["cc", "-shared", "-fPIC", "-O2", "-o", shim, source, "-ldl"])
        guard cc.0 == 0 else {
            print("CrashSafety: skipping \(what): cannot build the LD_PRELOAD shim with cc: \(cc.1)")
            return nil
        }
        let specA = root + "/A.yaml", specB = root + "/B.yaml"
        try spec("A", count: count).write(toFile: specA, atomically: true, encoding: .utf8)
        try spec("B", count: count).write(toFile: specB, atomically: true, encoding: .utf8)
        return (shim, specA, specB)
    }

    static func synthWithShim(_ shim: String, _ spec: String, _ dir: String, env extra: [String: String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["synth", spec, "-o", dir]
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = shim
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationReason == .uncaughtSignal ? 128 + p.terminationStatus : p.terminationStatus
    }

    // MARK: DIR that cannot be written

    static let example = CLI.fixtures.appendingPathComponent("example/ecrsynth.yaml").path

    /// The example and a changed copy (a different description: every template changes).
    static func exampleAndChanged(in root: String) throws -> (String, String) {
        let changed = root + "/changed.yaml"
        let text = try String(contentsOfFile: example, encoding: .utf8)
            .replacingOccurrences(of: "description: ECR repositories for the platform team", with: "description: changed")
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        return (example, changed)
    }

    static func sh(_ args: [String]) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        guard (try? p.run()) != nil else { return (127, "cannot run \(args[0])") }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    @Test func readOnlyDirFailsAndKeepsTheOldOutput() throws {
        let root = CLI.tempDir()
        let (spec, changed) = try Self.exampleAndChanged(in: root)
        let out = root + "/out"
        #expect(try CLI.run(["synth", spec, "-o", out]).status == 0)
        let before = Self.tree(out)

        var undo: () -> Void = {}
        if geteuid() == 0 {
            // chmod does not stop root: make the folder a read-only bind mount of itself.
            let bind = Self.sh(["mount", "--bind", out, out])
            guard bind.0 == 0 else {
                print("CrashSafety: skipping the read-only DIR test: running as root and 'mount --bind' failed: \(bind.1)")
                return
            }
            let ro = Self.sh(["mount", "-o", "remount,bind,ro", out])
            guard ro.0 == 0 else {
                _ = Self.sh(["umount", out])
                print("CrashSafety: skipping the read-only DIR test: 'mount -o remount,bind,ro' failed: \(ro.1)")
                return
            }
            undo = { _ = Self.sh(["umount", out]) }
        } else {
            for path in [out, out + "/policies", out + "/policies/cross-account", out + "/policies/targets"] { chmod(path, 0o555) }
            undo = { for path in [out, out + "/policies", out + "/policies/cross-account", out + "/policies/targets"] { chmod(path, 0o755) } }
        }
        defer { undo() }

        let r = try CLI.run(["synth", changed, "-o", out])
        #expect(r.status == 74)
        let reason = geteuid() == 0 ? "Read-only file system" : "Permission denied"
        #expect(r.stderr.hasSuffix("\(out)/ContainerRegistry.template.json: error: cannot write: \(reason)\n"), "\(r.stderr)")
        #expect(Self.tree(out) == before)
    }

    @Test func dirThatIsAFileFails() throws {
        let root = CLI.tempDir()
        let (spec, _) = try Self.exampleAndChanged(in: root)
        let file = root + "/out"
        try "not a folder\n".write(toFile: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["synth", spec, "-o", file])
        #expect(r.status == 74)
        #expect(r.stderr.hasSuffix("\(file): error: the output folder exists and is not a directory\n"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "not a folder\n")
        // A file where a subfolder of the output goes.
        let out = root + "/out2"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try "x".write(toFile: out + "/policies", atomically: true, encoding: .utf8)
        let sub = try CLI.run(["synth", spec, "-o", out])
        #expect(sub.status == 74)
        #expect(sub.stderr.contains("\(out)/policies: error: the output folder exists and is not a directory\n"), "\(sub.stderr)")
    }

    @Test func fullDiskFailsAndKeepsWholeFiles() throws {
        let root = CLI.tempDir()
        let (spec, changed) = try Self.exampleAndChanged(in: root)
        let mnt = root + "/mnt"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let mount = Self.sh(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt])
        guard mount.0 == 0 else {
            print("CrashSafety: skipping the full-disk test: cannot mount a 64 KiB tmpfs (\(mount.1.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = Self.sh(["umount", mnt]) }
        let out = mnt + "/out"
        #expect(try CLI.run(["synth", spec, "-o", out]).status == 0)
        let before = Self.tree(out)

        // Fill what is left of the disk, then rewrite: the first replacement fails, nothing changes.
        let filler = mnt + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let block = [UInt8](repeating: 0x41, count: 512)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) > 0 {}
        close(fd)
        let full = try CLI.run(["synth", changed, "-o", out])
        #expect(full.status == 74)
        #expect(full.stderr.hasSuffix("\(out)/ContainerRegistry.template.json: error: cannot write: No space left on device\n"), "\(full.stderr)")
        #expect(Self.tree(out) == before, "the old output changed on a full disk")

        // On a bigger disk (1 MiB) that still cannot hold everything, a large spec fails part-way through
        // writing its temporaries: they are removed and the old output is unchanged.
        let mnt2 = root + "/mnt2"
        try FileManager.default.createDirectory(atPath: mnt2, withIntermediateDirectories: true)
        guard Self.sh(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt2]).0 == 0 else {
            Issue.record("a 64 KiB tmpfs could be mounted but a 1 MiB one could not")
            return
        }
        defer { _ = Self.sh(["umount", mnt2]) }
        let out2 = mnt2 + "/out"
        #expect(try CLI.run(["synth", spec, "-o", out2]).status == 0)
        let before2 = Self.tree(out2)
        let big = root + "/big.yaml"
        var text = "version: 1\nstack: {name: ContainerRegistry}\ndefaults: {imageScanOnPush: true, imageTagMutability: IMMUTABLE}\nrepositories:\n"
        for i in 0..<300 { text += "  - id: Repo\(i)\n    grants: [{principal: {account: \"\(100_000_000_000 + i)\"}, access: pull}]\n" }
        try text.write(toFile: big, atomically: true, encoding: .utf8)
        // What the run would write with room to spare, over the same old output.
        let roomy = root + "/roomy"
        try Self.copyTree(out2, roomy)
        #expect(try CLI.run(["synth", big, "-o", roomy]).status == 0)
        let expected = Self.tree(roomy)
        // Leave room for the templates (written first) and a few policy files, not for all of them.
        let templates = expected.filter { $0.key.hasSuffix(".template.json") }.values.reduce(0) { $0 + ($1.count + 4095) / 4096 * 4096 }
        var fs = statvfs()
        #expect(statvfs(mnt2, &fs) == 0)
        let free = Int(fs.f_bavail) * Int(fs.f_frsize)
        let keep = templates + 8 * 4096
        #expect(free > keep, "the 1 MiB disk is too small for the templates alone")
        let fd2 = open(mnt2 + "/filler", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let chunk = [UInt8](repeating: 0x42, count: max(0, free - keep))
        _ = chunk.withUnsafeBytes { write(fd2, $0.baseAddress!, $0.count) }
        close(fd2)
        let partial = try CLI.run(["synth", big, "-o", out2])
        #expect(partial.status == 74)
        #expect(partial.stderr.contains(": error: cannot write: No space left on device\n"), "\(partial.stderr)")
        let after = Self.tree(out2).filter { $0.key != "filler" }
        #expect(after == before2, "the old output changed when the disk filled part-way")
        #expect(expected != before2)
        print("CrashSafety: full disk part-way: old output unchanged, \(expected.count) files not written; \(partial.stderr.split(separator: "\n").last ?? "")")
    }
}

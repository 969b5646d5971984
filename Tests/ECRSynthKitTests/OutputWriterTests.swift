@testable import ECRSynthKit
import Foundation
import Testing

/// One folder for this test process's scratch folders, removed when the process exits.
let scratchRoot: String = {
    let root = NSTemporaryDirectory() + "ecrsynth-kit-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return root
}()

@Suite struct OutputWriterTests {
    func tempDir() -> String {
        let dir = scratchRoot + "/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func files(_ pairs: [(String, String)]) -> [OutputFile] {
        let f = pairs.map { OutputFile(path: $0.0, text: $0.1) }
        return f + [OutputWriter.manifest(for: f, stackNames: ["S"], repositories: [])]
    }

    @Test func unchangedFilesAreLeftAlone() throws {
        let dir = tempDir()
        let first = try OutputWriter.write(files([("a.json", "1\n"), ("policies/b.json", "2\n")]), to: dir)
        #expect(first.written.sorted() == ["a.json", "manifest.json", "policies/b.json"])
        let inode = try FileManager.default.attributesOfItem(atPath: dir + "/a.json")[.systemFileNumber] as? Int
        let second = try OutputWriter.write(files([("a.json", "1\n"), ("policies/b.json", "3\n")]), to: dir)
        #expect(second.unchanged == ["a.json"])
        #expect(second.written.sorted() == ["manifest.json", "policies/b.json"])
        #expect(try FileManager.default.attributesOfItem(atPath: dir + "/a.json")[.systemFileNumber] as? Int == inode)
    }

    @Test func staleFilesFromThePreviousManifestAreRemovedOthersKept() throws {
        let dir = tempDir()
        _ = try OutputWriter.write(files([("a.json", "1\n"), ("policies/old.json", "x\n")]), to: dir)
        try "mine\n".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let report = try OutputWriter.write(files([("a.json", "1\n")]), to: dir)
        #expect(report.removed == ["policies/old.json"])
        #expect(!FileManager.default.fileExists(atPath: dir + "/policies"))
        #expect(FileManager.default.fileExists(atPath: dir + "/notes.txt"))
    }

    @Test func temporariesOfKilledRunsAreRemovedOthersKept() throws {
        let dir = tempDir()
        _ = try OutputWriter.write(files([("a.json", "1\n"), ("policies/b.json", "2\n")]), to: dir)
        // A pid no process has (above the kernel's pid_max) and the pid of a running process (this one's
        // parent, never the writer's own).
        let dead = "/.ecrsynth-2147483646-a.json", live = "/.ecrsynth-\(getppid())-a.json"
        for leftover in [dead, "/policies" + dead, live, "/.ecrsynth-notes"] {
            try "partial".write(toFile: dir + leftover, atomically: false, encoding: .utf8)
        }
        _ = try OutputWriter.write(files([("a.json", "1\n"), ("policies/b.json", "3\n")]), to: dir)
        #expect(!FileManager.default.fileExists(atPath: dir + dead))
        #expect(!FileManager.default.fileExists(atPath: dir + "/policies" + dead))
        #expect(FileManager.default.fileExists(atPath: dir + live))
        #expect(FileManager.default.fileExists(atPath: dir + "/.ecrsynth-notes"))
        #expect(try String(contentsOfFile: dir + "/policies/b.json", encoding: .utf8) == "3\n")
    }

    @Test func filesInPiecesAreWrittenHashedAndComparedAsOne() throws {
        let dir = tempDir()
        // Many small pieces, one over the writer's 256 KiB buffer, and empty ones.
        var chunks: [[UInt8]] = (0..<3000).map { Array("piece \($0),".utf8) }
        chunks.insert([UInt8](repeating: 0x61, count: 300 << 10), at: 1500)
        chunks.append([])
        let joined = Array(chunks.joined())
        let pieces = OutputFile(path: "t.json", chunks: chunks)
        #expect(pieces == OutputFile(path: "t.json", bytes: joined))
        #expect(OutputWriter.sha256(chunks) == OutputWriter.sha256(joined))
        let first = try OutputWriter.write([pieces], to: dir)
        #expect(first.written == ["t.json"])
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/t.json"))) == joined)
        #expect(try OutputWriter.write([pieces], to: dir).unchanged == ["t.json"])
        var changed = chunks
        changed[2999] = Array("piece X,".utf8)
        #expect(try OutputWriter.check([OutputFile(path: "t.json", chunks: changed)], in: dir).changed == ["t.json"])
    }

    @Test func stagingInBatchesOutOfOrderWritesWhatWriteWrites() throws {
        let all = files([("a.json", "1\n"), ("b.json", "2\n"), ("policies/c.json", "3\n"), ("policies/x/d.json", "4\n")])
        let whole = tempDir(), batched = tempDir()
        let expected = try OutputWriter.write(all, to: whole)
        // Later files first, one left for `finish`, as synth hands over policy files before templates.
        let stager = try OutputWriter.Stager(dir: batched)
        stager.submit(Array(all[2...3]), at: 2)
        stager.submit([all[0]], at: 0)
        let report = try stager.finish(all)
        #expect(report == expected)
        #expect(report.written == ["a.json", "b.json", "policies/c.json", "policies/x/d.json", "manifest.json"])
        for f in all {
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: batched + "/" + f.path))) == f.bytes)
        }
        let again = try OutputWriter.Stager(dir: batched)
        again.submit(Array(all[1...2]), at: 1)
        #expect(try again.finish(all).unchanged == ["a.json", "b.json", "policies/c.json", "policies/x/d.json", "manifest.json"])
    }

    @Test func aLargeFirstBatchIsStagedOnItsOwnThreadWithTheSameResult() throws {
        // More files than `Stager.threadMinimum` in the first batch: the staging thread takes them.
        let policies = (0..<OutputWriter.Stager.threadMinimum + 8).map { ("policies/p\($0).json", "\($0)\n") }
        let all = files([("a.json", "1\n"), ("b.json", "2\n")] + policies)
        let whole = tempDir(), batched = tempDir()
        let expected = try OutputWriter.write(all, to: whole)
        let stager = try OutputWriter.Stager(dir: batched)
        stager.submit(Array(all[2..<all.count - 1]), at: 2)
        stager.submit(Array(all[0..<2]), at: 0)
        #expect(try stager.finish(all) == expected)
        for f in all {
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: batched + "/" + f.path))) == f.bytes)
        }
    }

    @Test func aFailedStagingLeavesTheFolderAsItWas() throws {
        let dir = tempDir()
        _ = try OutputWriter.write(files([("a.json", "1\n")]), to: dir)
        let before = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
        // `a.json/c.json` cannot be made: `a.json` is a file. The folders made for the files staged
        // before it are removed again, and so are their temporaries.
        let all = files([("a.json", "2\n"), ("new/deeper/x.json", "x\n"), ("b.json", "b\n"), ("a.json/c.json", "c\n")])
        let stager = try OutputWriter.Stager(dir: dir)
        stager.submit(Array(all[0...3]), at: 0)
        #expect(throws: IOFailure.self) { try stager.finish(all) }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).sorted() == before)
        #expect(try String(contentsOfFile: dir + "/a.json", encoding: .utf8) == "1\n")
    }

    @Test func checkReportsEachDifference() throws {
        let dir = tempDir()
        _ = try OutputWriter.write(files([("a.json", "1\n"), ("gone.json", "g\n")]), to: dir)
        let report = try OutputWriter.check(files([("a.json", "2\n"), ("new.json", "n\n")]), in: dir)
        #expect(report.changed.sorted() == ["a.json", "manifest.json"])
        #expect(report.added == ["new.json"])
        #expect(report.removed == ["gone.json"])
        #expect(try String(contentsOfFile: dir + "/a.json", encoding: .utf8) == "1\n")
    }

    @Test func pathsCannotLeaveTheFolder() {
        let dir = tempDir()
        for bad in ["../x.json", "/etc/x", "a/../../x", "", "a//b"] {
            #expect(throws: IOFailure.self) { try OutputWriter.write([OutputFile(path: bad, text: "x")], to: dir) }
        }
    }

    @Test func aFileInPlaceOfTheFolderIsAnError() throws {
        let dir = tempDir()
        try "x".write(toFile: dir + "/out", atomically: true, encoding: .utf8)
        #expect(throws: IOFailure.self) { try OutputWriter.write(files([("a.json", "1\n")]), to: dir + "/out") }
    }
}

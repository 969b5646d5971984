import Foundation
import Testing

/// Where the fixtures are, found from this file's path.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var recording: Bool { ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" }

    /// Names of the entries of a fixture folder with a suffix, sorted.
    static func names(_ folder: String, suffix: String = "", directories: Bool = false) -> [String] {
        let dir = root.appendingPathComponent(folder)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return entries.filter { name in
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir)
            return isDir.boolValue == directories && name.hasSuffix(suffix)
        }.sorted()
    }

    /// Every regular file under `dir`, as relative paths.
    static func tree(_ dir: URL) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        for case let url as URL in e {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(dir.standardizedFileURL.path.count + 1))
            out[relative] = Array((try? Data(contentsOf: url)) ?? Data())
        }
        return out
    }

    /// Compares `actual` with the golden file; under RECORD_SNAPSHOTS=1 writes it and fails, so that
    /// a new baseline is looked at on purpose.
    static func assertGolden(_ actual: String, _ file: URL, sourceLocation: SourceLocation = #_sourceLocation) {
        if recording {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: file)
            Issue.record("recorded \(file.lastPathComponent); unset RECORD_SNAPSHOTS and run again", sourceLocation: sourceLocation)
            return
        }
        let expected = (try? String(contentsOf: file, encoding: .utf8)) ?? "<missing \(file.path)>"
        #expect(actual == expected, "\(file.lastPathComponent) differs", sourceLocation: sourceLocation)
    }
}

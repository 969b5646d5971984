import Crypto
import Dispatch
import ECRSpec
import Foundation
#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
/// glibc declares `syncfs` only under _GNU_SOURCE, which the Glibc module does not set.
@_silgen_name("syncfs")
private func linuxSyncfs(_ fd: Int32) -> Int32
#endif

/// One file of the output, relative to the output folder.
public struct OutputFile: Sendable, Equatable {
    public var path: String
    /// The content in pieces, one after the other: a template is assembled from the repositories'
    /// pre-rendered pieces without copying them.
    public let chunks: [[UInt8]]
    /// The SHA-256 of the content in hex, as the manifest lists it. Taken when the file is made, so
    /// files made in parallel are hashed in parallel.
    public let sha256: String

    public init(path: String, bytes: [UInt8]) {
        self.init(path: path, chunks: [bytes])
    }

    public init(path: String, chunks: [[UInt8]]) {
        self.path = path
        self.chunks = chunks
        sha256 = OutputWriter.sha256(chunks)
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The content in one piece.
    public var bytes: [UInt8] { chunks.count == 1 ? chunks[0] : Array(chunks.joined()) }

    public var count: Int { chunks.reduce(0) { $0 + $1.count } }

    /// Whether `other` is this content, compared piece by piece.
    func hasContent(_ other: [UInt8]) -> Bool {
        guard other.count == count else { return false }
        var offset = 0
        for chunk in chunks {
            guard other[offset..<offset + chunk.count].elementsEqual(chunk) else { return false }
            offset += chunk.count
        }
        return true
    }

    public static func == (a: OutputFile, b: OutputFile) -> Bool {
        a.path == b.path && a.count == b.count && a.bytes == b.bytes
    }
}

/// What a write or a check found, file by file.
public struct OutputReport: Sendable, Equatable {
    public var written: [String] = []
    public var unchanged: [String] = []
    public var removed: [String] = []

    /// For `--check`: files that would change, appear or disappear.
    public var changed: [String] = []
    public var added: [String] = []
}

/// The only code that writes to the file system. Unchanged files are left alone, changed ones are
/// replaced atomically (a temporary file in the same folder, then rename), files the previous
/// manifest lists and this run no longer writes are removed, and nothing else is touched.
public enum OutputWriter {
    public static let manifestName = "manifest.json"

    /// The manifest: the ecrsynth version, the stacks, which stack each repository lives in (what
    /// keeps repositories from moving between stacks), and every file with its SHA-256.
    public static func manifest(for files: [OutputFile], stacks: [Plan]) -> OutputFile {
        var repositories: [(String, String)] = []
        for stack in stacks {
            for r in stack.repositories { repositories.append((r.id, stack.stackName)) }
        }
        return manifest(for: files, stackNames: stacks.map(\.stackName), repositories: repositories)
    }

    static func manifest(for files: [OutputFile], stackNames: [String], repositories: [(id: String, stack: String)]) -> OutputFile {
        let sorted = files.sorted { $0.path < $1.path }
        let entries: [JSONValue] = sorted.map { .object([("path", .string($0.path)), ("sha256", .string($0.sha256))]) }
        let json: JSONValue = .object([
            ("ecrsynth", .string(ecrsynthVersion)),
            ("stacks", .array(stackNames.map(JSONValue.string))),
            ("repositories", .array(repositories.map { .object([("id", .string($0.id)), ("stack", .string($0.stack))]) })),
            ("files", .array(entries)),
        ])
        return OutputFile(path: manifestName, text: JSONWriter.pretty(json))
    }

    /// The repository → stack assignment recorded by the manifest in `dir`, if any.
    public static func previousAssignment(_ dir: String) -> [String: String] {
        guard let bytes = readIfExists(dir + "/" + manifestName), let root = try? JSONReader.parse(bytes),
              case .array(let entries)? = root["repositories"] else { return [:] }
        var out: [String: String] = [:]
        for e in entries {
            if let id = e["id"]?.stringValue, let stack = e["stack"]?.stringValue { out[id] = stack }
        }
        return out
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        sha256([bytes])
    }

    static func sha256(_ chunks: [[UInt8]]) -> String {
        var hasher = SHA256()
        for chunk in chunks { hasher.update(data: chunk) }
        return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Writes `files` into `dir` in three steps. First every changed file but the manifest goes to a
    /// sibling temporary, and all of them are flushed to disk together; a failure here removes the
    /// temporaries and leaves `dir` as it was. Then each temporary is renamed over its file, the files
    /// the old manifest lists and this run does not write are removed, and the manifest comes last.
    /// Until the new manifest is in place the old one still lists every file a removal may not have
    /// reached yet, so a run killed part-way is finished by the next one, which also removes the
    /// temporaries a killed run left. (`Stager` does the same with files handed over as they are made.)
    public static func write(_ files: [OutputFile], to dir: String) throws(IOFailure) -> OutputReport {
        for f in files { try checkPath(f.path, dir: dir) }
        let stager = try Stager(dir: dir)
        stager.submit(files.filter { $0.path != manifestName }, at: 0)
        return try stager.finish(files)
    }

    /// Stages output files (writes the changed ones to their temporaries) on a thread of its own while
    /// the caller is still making the rest, then finishes as `write` does. Creating a file is the
    /// costly part of writing many small ones (on ext4 without a journal, each new inode is searched
    /// for past the recently deleted ones), and this way it overlaps with rendering.
    public final class Stager: @unchecked Sendable {
        let dir: String
        private let previous: [String]
        private let lock = Lock()
        private let available = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)
        /// Whether the staging thread runs; it starts with the first batch worth a thread.
        private var threaded = false
        // Guarded by `lock`.
        private var batches: [[(index: Int, file: OutputFile)]] = []
        private var closed = false
        // The staging thread's own until `finish` has waited for it.
        private var staged: [(index: Int, staged: Staged)] = []
        private var unchanged: [(index: Int, path: String)] = []
        private var failure: IOFailure?
        private var cleaned: Set<String> = []
        private var createdDirectories: [String] = []

        /// Makes `dir` if needed and reads its manifest; nothing else is written before `submit`.
        public init(dir: String) throws(IOFailure) {
            self.dir = dir
            try OutputWriter.makeDirectory(dir)
            previous = OutputWriter.previousFiles(dir)
            cleaned = Set([dir] + previous.map { OutputWriter.parent(of: dir + "/" + $0) })
            OutputWriter.removeTemporaries(in: cleaned)
        }

        /// Batches smaller than this are staged on the caller's thread: starting a thread costs more.
        static let threadMinimum = 32

        /// Hands over files to stage; `first` is the index of the first in the whole output (the
        /// report lists files in that order). Not the manifest: `finish` writes it last.
        public func submit(_ files: [OutputFile], at first: Int) {
            let batch = files.enumerated().map { (index: first + $0.offset, file: $0.element) }
            if !threaded {
                guard Parallel.width > 1, files.count >= Self.threadMinimum else { return stage(batch) }
                threaded = true
                // A thread of its own: the parallel rendering occupies Dispatch's worker threads.
                Thread { [self] in
                    work()
                    done.signal()
                }.start()
            }
            lock.locked { batches.append(batch) }
            available.signal()
        }

        private func work() {
            while true {
                available.wait()
                let next: [[(index: Int, file: OutputFile)]]? = lock.locked {
                    if batches.isEmpty { return closed ? nil : [] }
                    defer { batches.removeAll() }
                    return batches
                }
                guard let next else { return }
                for batch in next { stage(batch) }
            }
        }

        private func stage(_ batch: [(index: Int, file: OutputFile)]) {
            for (index, f) in batch where failure == nil {
                do throws(IOFailure) {
                    try OutputWriter.checkPath(f.path, dir: dir)
                    if let s = try stageOne(f) {
                        staged.append((index, s))
                    } else {
                        unchanged.append((index, f.path))
                    }
                } catch {
                    failure = error
                }
            }
        }

        /// Writes `f` to its temporary, or returns nil when the file already holds this content.
        private func stageOne(_ f: OutputFile) throws(IOFailure) -> Staged? {
            let path = dir + "/" + f.path
            let folder = OutputWriter.parent(of: path)
            if !cleaned.contains(folder) {
                OutputWriter.removeTemporaries(in: [folder])
                cleaned.insert(folder)
            }
            if let old = OutputWriter.readIfExists(path), f.hasContent(old) { return nil }
            try OutputWriter.makeDirectory(folder, created: &createdDirectories)
            return Staged(relative: f.path, path: path, temp: try OutputWriter.writeTemporary(for: path, chunks: f.chunks))
        }

        private func stop() {
            guard threaded else { return }
            lock.locked { closed = true }
            available.signal()
            done.wait()
        }

        private func rollBack() {
            for s in staged { unlink(s.staged.temp) }
            for d in createdDirectories.reversed() { rmdir(d) }
        }

        /// Stages the files not submitted yet, flushes, renames, removes stale files and writes the
        /// manifest. `files` is the whole output, in report order.
        public func finish(_ files: [OutputFile]) throws(IOFailure) -> OutputReport {
            stop()
            let submitted = Set(staged.map(\.index) + unchanged.map(\.index))
            let manifest = files.indices.filter { files[$0].path == manifestName }
            var report = OutputReport()
            try stageAndFlush(files, files.indices.filter { !submitted.contains($0) && !manifest.contains($0) })
            try commit(into: &report)
            let now = Set(files.map(\.path))
            for old in previous.sorted() where !now.contains(old) {
                let path = dir + "/" + old
                if unlink(path) == 0 {
                    report.removed.append(old)
                    OutputWriter.removeEmptyParents(of: old, in: dir)
                } else if errno != ENOENT {
                    throw IOFailure(path: path, message: "cannot remove a stale output file: \(errnoText())")
                }
            }
            // The manifest last, on its own. Its flush also puts the renames and removals above on
            // disk, so no manifest is replaced before the files it lists.
            try stageAndFlush(files, manifest)
            try commit(into: &report)
            // And the manifest's own rename, so that what a successful run reports is on disk.
            if !report.written.isEmpty || !report.removed.isEmpty {
                try OutputWriter.flushFolder(dir)
            }
            report.unchanged = unchanged.sorted { $0.index < $1.index }.map(\.path)
            return report
        }

        /// Stages `files[indices]` beside what is staged already and flushes them all; on a failure
        /// every temporary (and folder) made is removed again.
        private func stageAndFlush(_ files: [OutputFile], _ indices: [Int]) throws(IOFailure) {
            stage(indices.map { (index: $0, file: files[$0]) })
            if failure == nil {
                do throws(IOFailure) { try OutputWriter.flush(staged.map(\.staged), dir: dir) } catch { failure = error }
            }
            if let failure {
                rollBack()
                throw failure
            }
        }

        /// Renames what is staged over its files, in report order; nothing is staged afterwards.
        private func commit(into report: inout OutputReport) throws(IOFailure) {
            let ready = staged.sorted { $0.index < $1.index }.map(\.staged)
            staged = []
            for (n, s) in ready.enumerated() {
                guard rename(s.temp, s.path) == 0 else {
                    let message = errnoText()
                    for rest in ready[n...] { unlink(rest.temp) }
                    throw IOFailure(path: s.path, message: "cannot replace: \(message)")
                }
                report.written.append(s.relative)
            }
        }
    }

    /// A file written to its temporary and waiting to be renamed over `path`.
    struct Staged {
        var relative: String
        var path: String
        var temp: String
    }

    static let temporaryPrefix = ".ecrsynth-"

    /// Removes the temporaries (`.ecrsynth-<pid>-<name>`) that killed runs left in `dirs`; those of a
    /// process still running are kept: it may be writing them.
    static func removeTemporaries(in dirs: Set<String>) {
        for d in dirs.sorted() {
            guard let handle = opendir(d) else { continue }
            var names: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name.hasPrefix(temporaryPrefix) else { continue }
                let rest = name.dropFirst(temporaryPrefix.count)
                guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
                if pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
                names.append(name)
            }
            closedir(handle)
            for name in names {
                var st = stat()
                let path = d + "/" + name
                if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(path) }
            }
        }
    }

    /// Compares `dir` with `files` without writing anything.
    public static func check(_ files: [OutputFile], in dir: String) throws(IOFailure) -> OutputReport {
        for f in files { try checkPath(f.path, dir: dir) }
        var report = OutputReport()
        for f in files {
            switch readIfExists(dir + "/" + f.path) {
            case nil: report.added.append(f.path)
            case let old? where f.hasContent(old): report.unchanged.append(f.path)
            default: report.changed.append(f.path)
            }
        }
        let now = Set(files.map(\.path))
        for old in previousFiles(dir).sorted() where !now.contains(old) && readIfExists(dir + "/" + old) != nil {
            report.removed.append(old)
        }
        return report
    }

    /// Output paths are made here from checked names; this refuses anything that could leave `dir`.
    static func checkPath(_ path: String, dir: String) throws(IOFailure) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let ok = !path.isEmpty && !path.hasPrefix("/") && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
            && !path.utf8.contains(0)
        if !ok { throw IOFailure(path: dir, message: "refusing to write outside the output folder: '\(path)'") }
    }

    /// Files listed by the manifest already in `dir` (only safe relative paths are trusted).
    static func previousFiles(_ dir: String) -> [String] {
        guard let bytes = readIfExists(dir + "/" + manifestName),
              let root = try? JSONReader.parse(bytes), case .object = root,
              case .array(let entries)? = root["files"] else { return [] }
        var out: [String] = [manifestName]
        for e in entries {
            guard let p = e["path"]?.stringValue, (try? checkPath(p, dir: dir)) != nil else { continue }
            out.append(p)
        }
        return out
    }

    static func readIfExists(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    static func parent(of path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return String(path[..<i])
    }

    static func makeDirectory(_ dir: String) throws(IOFailure) {
        var created: [String] = []
        try makeDirectory(dir, created: &created)
    }

    /// Makes `dir` and its missing parents, adding each folder made to `created`, outermost first.
    static func makeDirectory(_ dir: String, created: inout [String]) throws(IOFailure) {
        var st = stat()
        if stat(dir, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw IOFailure(path: dir, message: "the output folder exists and is not a directory")
            }
            return
        }
        let up = parent(of: dir)
        if up != dir, up != ".", !up.isEmpty { try makeDirectory(up, created: &created) }
        if mkdir(dir, 0o755) == 0 {
            created.append(dir)
        } else if errno != EEXIST {
            throw IOFailure(path: dir, message: "cannot create the output folder: \(errnoText())")
        }
    }

    /// Calls `body` with the address and size of each of `chunks`, which stay alive and in place
    /// while it runs.
    static func withPointers<R>(to chunks: ArraySlice<[UInt8]>, _ body: ([(UnsafeRawPointer?, Int)]) -> R) -> R {
        var pointers: [(UnsafeRawPointer?, Int)] = []
        pointers.reserveCapacity(chunks.count)
        func next(_ i: ArraySlice<[UInt8]>.Index) -> R {
            guard i < chunks.endIndex else { return body(pointers) }
            return chunks[i].withUnsafeBytes { bytes in
                pointers.append((bytes.baseAddress, bytes.count))
                return next(i + 1)
            }
        }
        return next(chunks.startIndex)
    }

    /// Writes what `iov` points at, all of it (again after a short write or an interruption).
    /// Returns the error's text, or nil.
    static func writeAll(_ fd: Int32, _ iov: inout [iovec]) -> String? {
        var first = 0
        while first < iov.count {
            let n = iov[first...].withUnsafeBufferPointer { Glibc.writev(fd, $0.baseAddress, Int32($0.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                return errnoText()
            }
            if n == 0 { return "the file system took no bytes" }
            var left = n
            while first < iov.count, left >= iov[first].iov_len {
                left -= iov[first].iov_len
                first += 1
            }
            if left > 0 {
                iov[first].iov_base += left
                iov[first].iov_len -= left
            }
        }
        return nil
    }

    /// Writes `bytes` to a temporary beside `path` and returns its path.
    static func writeTemporary(for path: String, chunks: [[UInt8]]) throws(IOFailure) -> String {
        let temp = parent(of: path) + "/" + temporaryPrefix + "\(getpid())-" + (path.split(separator: "/").last.map(String.init) ?? "out")
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw IOFailure(path: path, message: "cannot write: \(errnoText())") }
        var failure: String?
        // The pieces go to the kernel as they are, 256 at a time (IOV_MAX is 1,024; each piece held
        // open takes a little stack), without being copied into one buffer first.
        let maxPieces = 256
        var iov: [iovec] = []
        iov.reserveCapacity(min(chunks.count, maxPieces))
        var start = 0
        while start < chunks.count, failure == nil {
            let end = min(chunks.count, start + maxPieces)
            failure = withPointers(to: chunks[start..<end]) { pointers -> String? in
                iov.removeAll(keepingCapacity: true)
                for (base, count) in pointers where count > 0 {
                    iov.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: count))
                }
                return writeAll(fd, &iov)
            }
            start = end
        }
        #if !os(Linux)
        if failure == nil, fsync(fd) != 0 { failure = errnoText() }
        #endif
        if failure == nil, close(fd) != 0 { failure = errnoText() } else if failure != nil { close(fd) }
        if let failure {
            unlink(temp)
            throw IOFailure(path: path, message: "cannot write: \(failure)")
        }
        return temp
    }


    /// Puts the temporaries on disk before any is renamed: one `syncfs` of the output's file system
    /// on Linux (a flush per file costs more than writing them), a flush per file elsewhere.
    static func flush(_ staged: [Staged], dir: String) throws(IOFailure) {
        #if os(Linux)
        guard let first = staged.first else { return }
        try flushFolder(dir, failureAt: first.path)
        #endif
    }

    /// Puts the folder's last changes (renames, removals) on disk: `syncfs` on Linux, the folder's
    /// `fsync` elsewhere. A failure to flush is reported at `path`.
    static func flushFolder(_ dir: String, failureAt path: String? = nil) throws(IOFailure) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw IOFailure(path: dir, message: "cannot write: \(errnoText())") }
        defer { close(fd) }
        #if os(Linux)
        let flushed = linuxSyncfs(fd) == 0
        #else
        let flushed = fsync(fd) == 0
        #endif
        if !flushed { throw IOFailure(path: path ?? dir, message: "cannot write: \(errnoText())") }
    }

    static func removeEmptyParents(of relative: String, in dir: String) {
        var parts = relative.split(separator: "/").dropLast()
        while !parts.isEmpty {
            if rmdir(dir + "/" + parts.joined(separator: "/")) != 0 { return }
            parts = parts.dropLast()
        }
    }
}

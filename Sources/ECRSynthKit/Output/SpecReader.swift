import YAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input/output failure: exit code 74.
public struct IOFailure: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): error: \(message)" }
}

/// Reads a spec file without blocking on FIFOs or devices and without reading past the size limit.
public enum SpecReader {
    /// The largest spec read: the parser's own limit, so the two cannot disagree.
    public static let maxSpecBytes = ParseLimits.default.maxBytes

    public static func read(_ path: String, maxBytes: Int) throws(IOFailure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw IOFailure(path: path, message: "cannot open the spec: \(errnoText())")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOFailure(path: path, message: "cannot read the spec: \(errnoText())") }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFDIR ? "a directory" : kind == S_IFIFO ? "a FIFO" : kind == S_IFCHR ? "a character device" : "not a regular file"
            throw IOFailure(path: path, message: "the spec is \(what); give a YAML file")
        }
        if Int(st.st_size) > maxBytes {
            throw IOFailure(path: path, message: "the spec is \(st.st_size) bytes; the largest accepted is \(maxBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                if count > maxBytes { throw IOFailure(path: path, message: "the spec grew past \(maxBytes) bytes while being read") }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: max(4096, count)))
            }
            let n = bytes.withUnsafeMutableBytes { buf in
                Glibc.read(fd, buf.baseAddress! + count, buf.count - count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOFailure(path: path, message: "cannot read the spec: \(errnoText())")
            }
            if n == 0 { break }
            count += n
        }
        if count > maxBytes { throw IOFailure(path: path, message: "the spec is larger than \(maxBytes) bytes") }
        bytes.removeSubrange(count...)
        return bytes
    }
}

func errnoText() -> String {
    String(cString: strerror(errno))
}

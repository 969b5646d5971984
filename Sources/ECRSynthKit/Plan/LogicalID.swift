import Crypto
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The CDK's logical-ID rule (`makeUniqueId`): a human part from the path below the stack plus the
/// first eight hex digits of the MD5 of the whole path.
public enum LogicalID {
    static let hiddenID = "Default"
    static let hiddenFromHuman = "Resource"

    public static func make(_ path: [String]) -> String {
        var count = 0
        var joinedCount = 0
        for c in path where !isHidden(c) {
            count += 1
            joinedCount += c.utf8.count + 1
        }
        precondition(count > 0, "a logical ID needs a path")
        if count == 1, let only = path.first(where: { !isHidden($0) }) {
            let top = alphanumeric(only)
            if top.utf8.count <= 255 { return top }
        }
        // The human part: components without repeats of their predecessor's ending and without
        // "Resource", letters and digits only, at most 240 characters; the hash covers the whole
        // path, joined with '/'. Both are built on the stack.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: joinedCount + 248) { buffer in
            let joined = buffer.baseAddress!
            let out = joined + joinedCount
            var j = 0, o = 0
            var last: String?
            for c in path where !isHidden(c) {
                if j > 0 {
                    joined[j] = UInt8(ascii: "/")
                    j += 1
                }
                var text = c
                text.withUTF8 { bytes in
                    if let base = bytes.baseAddress { (joined + j).update(from: base, count: bytes.count) }
                    j += bytes.count
                    if let last, endsWith(last, bytes) { return }
                    last = c
                    if bytes.count == 8, c == hiddenFromHuman { return }
                    for u in bytes where o < 240 && isAlphanumeric(u) {
                        out[o] = u
                        o += 1
                    }
                }
            }
            appendHash(of: UnsafeRawBufferPointer(start: joined, count: j), to: out + o)
            return String(decoding: UnsafeBufferPointer(start: out, count: o + 8), as: UTF8.self)
        }
    }

    /// A component left out of both the human part and the hash ("Default").
    @inline(__always)
    static func isHidden(_ c: String) -> Bool {
        c.utf8.count == 7 && c == hiddenID
    }

    /// `Names.uniqueId` of a construct: the same rule over its path including the stack.
    public static func uniqueID(stack: String, _ path: [String]) -> String {
        make([stack] + path)
    }

    /// Writes the first eight hex digits (upper case) of the MD5 of `bytes` (the path joined with '/')
    /// at `out`.
    static func appendHash(of bytes: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) {
        var md5 = Insecure.MD5()
        md5.update(bufferPointer: bytes)
        let digits: StaticString = "0123456789ABCDEF"
        md5.finalize().withUnsafeBytes { digest in
            digits.withUTF8Buffer { hex in
                for k in 0..<4 {
                    out[2 * k] = hex[Int(digest[k] >> 4)]
                    out[2 * k + 1] = hex[Int(digest[k] & 0x0F)]
                }
            }
        }
    }

    /// JavaScript's `a.endsWith(b)`: compared by code, not by Unicode's rules of equivalence.
    static func endsWith(_ a: String, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var a = a
        return a.withUTF8 { a in
            a.count >= b.count && (b.isEmpty || memcmp(a.baseAddress! + (a.count - b.count), b.baseAddress!, b.count) == 0)
        }
    }

    static func isAlphanumeric(_ u: UInt8) -> Bool {
        (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x61 && u <= 0x7A)
    }

    static func alphanumeric(_ s: String) -> String {
        String(decoding: s.utf8.filter(isAlphanumeric), as: UTF8.self)
    }
}

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
        for c in path where c != hiddenID { count += 1 }
        precondition(count > 0, "a logical ID needs a path")
        if count == 1, let only = path.first(where: { $0 != hiddenID }) {
            let top = alphanumeric(only)
            if top.utf8.count <= 255 { return top }
        }
        // The human part: components without repeats of their predecessor's ending and without
        // "Resource", letters and digits only, at most 240 characters; the hash covers the whole
        // path, joined with '/'.
        var out: [UInt8] = []
        out.reserveCapacity(64)
        var joined: [UInt8] = []
        joined.reserveCapacity(128)
        var last: String?
        var first = true
        for c in path where c != hiddenID {
            if !first { joined.append(UInt8(ascii: "/")) }
            first = false
            var text = c
            text.withUTF8 { bytes in
                joined.append(contentsOf: bytes)
                if let last, endsWith(last, bytes) { return }
                last = c
                if c == hiddenFromHuman { return }
                for u in bytes where isAlphanumeric(u) && out.count < 240 { out.append(u) }
            }
        }
        appendHash(of: joined, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `Names.uniqueId` of a construct: the same rule over its path including the stack.
    public static func uniqueID(stack: String, _ path: [String]) -> String {
        make([stack] + path)
    }

    /// The first eight hex digits (upper case) of the MD5 of `bytes` (the path joined with '/').
    static func appendHash(of bytes: [UInt8], to out: inout [UInt8]) {
        var md5 = Insecure.MD5()
        bytes.withUnsafeBytes { md5.update(bufferPointer: $0) }
        let digits: StaticString = "0123456789ABCDEF"
        md5.finalize().withUnsafeBytes { digest in
            digits.withUTF8Buffer { hex in
                for byte in digest.prefix(4) {
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
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

import Crypto

/// The CDK's logical-ID rule (`makeUniqueId`): a human part from the path below the stack plus the
/// first eight hex digits of the MD5 of the whole path.
public enum LogicalID {
    static let hiddenID = "Default"
    static let hiddenFromHuman = "Resource"

    public static func make(_ path: [String]) -> String {
        let components = path.filter { $0 != hiddenID }
        precondition(!components.isEmpty, "a logical ID needs a path")
        if components.count == 1 {
            let top = alphanumeric(components[0])
            if top.count <= 255 { return top }
        }
        // The human part: components without repeats of their predecessor's ending and without
        // "Resource", letters and digits only, at most 240 characters.
        var out: [UInt8] = []
        out.reserveCapacity(64)
        var last: String?
        for c in components {
            if let last, endsWith(last, c) { continue }
            last = c
            if c == hiddenFromHuman { continue }
            for u in c.utf8 where isAlphanumeric(u) && out.count < 240 { out.append(u) }
        }
        appendHash(components, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `Names.uniqueId` of a construct: the same rule over its path including the stack.
    public static func uniqueID(stack: String, _ path: [String]) -> String {
        make([stack] + path)
    }

    /// The first eight hex digits (upper case) of the MD5 of the path joined with '/'.
    static func appendHash(_ components: [String], to out: inout [UInt8]) {
        var joined: [UInt8] = []
        joined.reserveCapacity(components.reduce(components.count) { $0 + $1.utf8.count })
        for (i, c) in components.enumerated() {
            if i > 0 { joined.append(UInt8(ascii: "/")) }
            joined.append(contentsOf: c.utf8)
        }
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in Insecure.MD5.hash(data: joined).prefix(4) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// JavaScript's `a.endsWith(b)`: compared by code, not by Unicode's rules of equivalence.
    static func endsWith(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        return a.count >= b.count && a.suffix(b.count).elementsEqual(b)
    }

    static func isAlphanumeric(_ u: UInt8) -> Bool {
        (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) || (u >= 0x61 && u <= 0x7A)
    }

    static func alphanumeric(_ s: String) -> String {
        String(decoding: s.utf8.filter(isAlphanumeric), as: UTF8.self)
    }
}

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
        var deduped: [String] = []
        for c in components where deduped.last.map({ !$0.hasSuffix(c) }) ?? true {
            deduped.append(c)
        }
        let human = String(deduped.filter { $0 != hiddenFromHuman }.map(alphanumeric).joined().prefix(240))
        return human + hash(components)
    }

    /// `Names.uniqueId` of a construct: the same rule over its path including the stack.
    public static func uniqueID(stack: String, _ path: [String]) -> String {
        make([stack] + path)
    }

    static func hash(_ components: [String]) -> String {
        let digest = Insecure.MD5.hash(data: Array(components.joined(separator: "/").utf8))
        let hex = digest.prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }
        return hex.joined()
    }

    static func alphanumeric(_ s: String) -> String {
        String(decoding: s.utf8.filter { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) },
               as: UTF8.self)
    }
}

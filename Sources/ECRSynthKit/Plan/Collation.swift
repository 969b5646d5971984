import Foundation

/// Orders strings the way JavaScript's `localeCompare` does under ICU's root collation, which the
/// CDK uses to sort tags: punctuation, then digits, then letters; case and accents only break ties,
/// lower case first (`_x, 10, a_b, a-b, a.b, ab, alpha, Alpha, B, Zeta`).
enum Collation {
    /// ICU root order of the printable ASCII characters that are not letters or digits.
    private static let punctuation = Array(" _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$".unicodeScalars)
    /// The rank of each ASCII code in `punctuation` (-1: not punctuation).
    private static let punctuationRank: [Int] = {
        var table = [Int](repeating: -1, count: 128)
        for (i, u) in punctuation.enumerated() { table[Int(u.value)] = i }
        return table
    }()

    struct Key: Equatable {
        var primary: [Int] = []
        var secondary: [Int] = []
        var tertiary: [Int] = []
    }

    static func key(_ s: String) -> Key {
        // ASCII text (nearly all keys) is its own canonical decomposition and is read byte by byte;
        // only other text is decomposed (which is slow).
        guard s.utf8.allSatisfy({ $0 < 0x80 }) else { return scalarKey(s.decomposedStringWithCanonicalMapping) }
        var k = Key()
        k.primary.reserveCapacity(s.utf8.count)
        k.tertiary.reserveCapacity(s.utf8.count)
        for b in s.utf8 { add(ascii: b, to: &k) }
        return k
    }

    /// The key of text already in canonical decomposition, read scalar by scalar.
    static func scalarKey(_ text: String) -> Key {
        var k = Key()
        for u in text.unicodeScalars {
            if u.isASCII {
                add(ascii: UInt8(u.value), to: &k)
            } else if u.properties.generalCategory == .nonspacingMark {
                k.secondary.append(Int(u.value))
            } else {
                k.primary.append(100_000 + Int(u.value))
                k.tertiary.append(u.properties.isUppercase ? 1 : 0)
            }
        }
        return k
    }

    /// An ASCII character's weights: punctuation, then digits, then letters (lower case first), then
    /// control characters by code.
    @inline(__always)
    private static func add(ascii b: UInt8, to k: inout Key) {
        let rank = punctuationRank[Int(b)]
        if rank >= 0 {
            k.primary.append(rank)
            k.tertiary.append(0)
        } else if b >= 0x30 && b <= 0x39 {
            k.primary.append(1000 + Int(b - 0x30))
        } else if b >= 0x61 && b <= 0x7A {
            k.primary.append(2000 + Int(b - 0x61) * 2)
            k.tertiary.append(0)
        } else if b >= 0x41 && b <= 0x5A {
            k.primary.append(2000 + Int(b - 0x41) * 2)
            k.tertiary.append(1)
        } else {
            k.primary.append(100_000 + Int(b))
            k.tertiary.append(0)
        }
    }

    static func precedes(_ a: String, _ b: String) -> Bool {
        precedes(key(a), key(b), a, b)
    }

    /// `precedes` with the keys of `a` and `b` already made (for sorting).
    static func precedes(_ ka: Key, _ kb: Key, _ a: String, _ b: String) -> Bool {
        if ka.primary != kb.primary { return ka.primary.lexicographicallyPrecedes(kb.primary) }
        if ka.secondary != kb.secondary { return ka.secondary.lexicographicallyPrecedes(kb.secondary) }
        if ka.tertiary != kb.tertiary { return ka.tertiary.lexicographicallyPrecedes(kb.tertiary) }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }
}


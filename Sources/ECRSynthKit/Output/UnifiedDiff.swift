/// A line diff (Myers' O(ND) algorithm, linear-space variant) and its unified format, as
/// `diff -u` prints it: `---`/`+++` headers, `@@ -l,s +l,s @@` hunks, three lines of context, and
/// `\ No newline at end of file` where a side does not end with a newline.
public enum UnifiedDiff {
    public enum Edit: Equatable, Sendable {
        /// The same line: its index in the old and in the new text.
        case same(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// The unified diff of two texts; empty when they are equal. `nil` names a side that does not
    /// exist (shown as `/dev/null`, with no lines).
    public static func unified(old: String?, new: String?, oldName: String, newName: String, context: Int = 3) -> String {
        let a = lines(old ?? "")
        let b = lines(new ?? "")
        let script = edits(a, b)
        guard script.contains(where: { if case .same = $0 { false } else { true } }) else { return "" }
        var out = "--- \(old == nil ? "/dev/null" : oldName)\n+++ \(new == nil ? "/dev/null" : newName)\n"
        for hunk in hunks(script, context: context) {
            var oldStart = -1, newStart = -1, oldCount = 0, newCount = 0
            var body = ""
            // Where an empty side's range starts: after the line before the hunk.
            var oldBefore = 0, newBefore = 0
            for e in script[hunk] {
                switch e {
                case .same(let i, let j):
                    if oldStart < 0 { oldStart = i }
                    if newStart < 0 { newStart = j }
                    oldCount += 1; newCount += 1
                    body += line(" ", a[i])
                case .delete(let i):
                    if oldStart < 0 { oldStart = i }
                    oldCount += 1
                    body += line("-", a[i])
                case .insert(let j):
                    if newStart < 0 { newStart = j }
                    newCount += 1
                    body += line("+", b[j])
                }
            }
            for e in script[..<hunk.lowerBound] {
                switch e {
                case .same: oldBefore += 1; newBefore += 1
                case .delete: oldBefore += 1
                case .insert: newBefore += 1
                }
            }
            out += "@@ -\(range(oldStart < 0 ? oldBefore : oldStart, oldCount)) +\(range(newStart < 0 ? newBefore : newStart, newCount)) @@\n"
            out += body
        }
        return out
    }

    /// `3,4`, `3` for one line, `2,0` (the line before) for none.
    static func range(_ start: Int, _ count: Int) -> String {
        switch count {
        case 0: "\(start),0"
        case 1: "\(start + 1)"
        default: "\(start + 1),\(count)"
        }
    }

    static func line(_ prefix: String, _ text: Substring) -> String {
        text.hasSuffix("\n") ? prefix + text : prefix + text + "\n\\ No newline at end of file\n"
    }

    /// The lines of a text, each with its newline (the last one may have none).
    public static func lines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let next = utf8.index(after: i)
            if utf8[i] == 0x0A {
                out.append(text[start..<next])
                start = next
            }
            i = next
        }
        if start < utf8.endIndex { out.append(text[start...]) }
        return out
    }

    /// Ranges of the edit script that make up the hunks: each change with `context` lines around
    /// it, hunks whose context would touch merged.
    static func hunks(_ script: [Edit], context: Int) -> [Range<Int>] {
        var changes: [Int] = []
        for (k, e) in script.enumerated() {
            if case .same = e { continue }
            changes.append(k)
        }
        var out: [Range<Int>] = []
        for k in changes {
            let lo = max(0, k - context), hi = min(script.count, k + context + 1)
            if let last = out.last, lo <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, hi)
            } else {
                out.append(lo..<hi)
            }
        }
        return out
    }

    /// The shortest edit script from `a` to `b` (deletions before insertions within a change).
    public static func edits<T: Hashable>(_ a: [T], _ b: [T]) -> [Edit] {
        // Compare small integers instead of lines.
        var ids: [T: Int] = [:]
        let x = a.map { v in ids[v] ?? { ids[v] = ids.count; return ids.count - 1 }() }
        let y = b.map { v in ids[v] ?? { ids[v] = ids.count; return ids.count - 1 }() }
        var myers = Myers(a: x, b: y)
        myers.compare(0, x.count, 0, y.count)
        var script: [Edit] = []
        script.reserveCapacity(max(x.count, y.count))
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if i < x.count, myers.deleted[i] {
                script.append(.delete(i)); i += 1
            } else if j < y.count, myers.inserted[j] {
                script.append(.insert(j)); j += 1
            } else {
                script.append(.same(i, j)); i += 1; j += 1
            }
        }
        return script
    }

    /// Marks the lines of `a` that are deleted and of `b` that are inserted.
    struct Myers {
        let a: [Int]
        let b: [Int]
        var deleted: [Bool]
        var inserted: [Bool]
        /// Past this many edits in one subproblem the diff stops looking for the shortest script and
        /// replaces the rest of that subproblem wholesale: correct, only longer.
        static let costLimit = 4096

        init(a: [Int], b: [Int]) {
            self.a = a
            self.b = b
            deleted = [Bool](repeating: false, count: a.count)
            inserted = [Bool](repeating: false, count: b.count)
        }

        mutating func compare(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) {
            var aLo = aLo, aHi = aHi, bLo = bLo, bHi = bHi
            while aLo < aHi, bLo < bHi, a[aLo] == b[bLo] { aLo += 1; bLo += 1 }
            while aLo < aHi, bLo < bHi, a[aHi - 1] == b[bHi - 1] { aHi -= 1; bHi -= 1 }
            if aLo == aHi {
                for j in bLo..<bHi { inserted[j] = true }
                return
            }
            if bLo == bHi {
                for i in aLo..<aHi { deleted[i] = true }
                return
            }
            if let (x, y) = middle(aLo, aHi, bLo, bHi), (x, y) != (aLo, bLo), (x, y) != (aHi, bHi) {
                compare(aLo, x, bLo, y)
                compare(x, aHi, y, bHi)
            } else {
                for i in aLo..<aHi { deleted[i] = true }
                for j in bLo..<bHi { inserted[j] = true }
            }
        }

        /// A point on a shortest edit path ("middle snake"), searching from both ends at once.
        func middle(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
            let n = aHi - aLo, m = bHi - bLo
            let maxD = (n + m + 1) / 2
            let offset = maxD + 1
            let size = 2 * maxD + 3
            var forward = [Int](repeating: -1, count: size)
            var backward = [Int](repeating: -1, count: size)
            forward[offset + 1] = 0
            backward[offset + 1] = 0
            let delta = n - m
            let odd = delta % 2 != 0
            var k1start = 0, k1end = 0, k2start = 0, k2end = 0
            for d in 0..<maxD {
                if d > Myers.costLimit { return nil }
                var k1 = -d + k1start
                while k1 <= d - k1end {
                    let i = offset + k1
                    var x1 = (k1 == -d || (k1 != d && forward[i - 1] < forward[i + 1])) ? forward[i + 1] : forward[i - 1] + 1
                    var y1 = x1 - k1
                    while x1 < n, y1 < m, a[aLo + x1] == b[bLo + y1] { x1 += 1; y1 += 1 }
                    forward[i] = x1
                    if x1 > n {
                        k1end += 2
                    } else if y1 > m {
                        k1start += 2
                    } else if odd {
                        let j = offset + delta - k1
                        if j >= 0, j < size, backward[j] != -1, x1 >= n - backward[j] {
                            return (aLo + x1, bLo + y1)
                        }
                    }
                    k1 += 2
                }
                var k2 = -d + k2start
                while k2 <= d - k2end {
                    let i = offset + k2
                    var x2 = (k2 == -d || (k2 != d && backward[i - 1] < backward[i + 1])) ? backward[i + 1] : backward[i - 1] + 1
                    var y2 = x2 - k2
                    while x2 < n, y2 < m, a[aHi - x2 - 1] == b[bHi - y2 - 1] { x2 += 1; y2 += 1 }
                    backward[i] = x2
                    if x2 > n {
                        k2end += 2
                    } else if y2 > m {
                        k2start += 2
                    } else if !odd {
                        let j = offset + delta - k2
                        if j >= 0, j < size, forward[j] != -1 {
                            let x1 = forward[j]
                            let y1 = offset + x1 - j
                            if x1 >= n - x2 { return (aLo + x1, bLo + y1) }
                        }
                    }
                    k2 += 2
                }
            }
            return nil
        }
    }
}

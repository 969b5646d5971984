import ECRSpec
@testable import ECRSynthKit
import Foundation
import Testing
import YAML

/// `ecrsynth explain`: the plan in words, compared byte for byte with goldens under
/// Fixtures/explain/ (text and JSON) for every synth fixture and the explain-only specs there.
@Suite struct ExplainGoldens {
    /// Synth fixtures by name, then explain-only specs (`Fixtures/explain/NAME.yaml`).
    static let cases: [String] = Fixtures.names("synth", directories: true)
        + Fixtures.names("explain", suffix: ".yaml").map { String($0.dropLast(".yaml".count)) }

    static func specURL(_ name: String) -> URL {
        let synth = Fixtures.root.appendingPathComponent("synth/\(name)/spec.yaml")
        return FileManager.default.fileExists(atPath: synth.path) ? synth : Fixtures.root.appendingPathComponent("explain/\(name).yaml")
    }

    static func explain(_ name: String) throws -> Explanation {
        let bytes = try SpecReader.read(specURL(name).path, maxBytes: 16 << 20)
        let checked = Pipeline.check(bytes)
        let stacks = try #require(checked.stacks, "\(name): \(checked.diagnostics.map(\.message))")
        return Explainer.explain(stacks, spec: checked.spec)
    }

    @Test func theRequiredFixturesAreCovered() {
        for name in ["seed", "every-key", "many-repositories", "lifecycle-archive-combined", "split-stacks"] {
            #expect(Self.cases.contains(name), "\(name)")
        }
    }

    @Test(arguments: cases)
    func text(_ name: String) throws {
        let e = try Self.explain(name)
        Fixtures.assertGolden(ExplainRenderer.text(e), Fixtures.root.appendingPathComponent("explain/\(name).txt"))
    }

    @Test(arguments: cases)
    func json(_ name: String) throws {
        let e = try Self.explain(name)
        let text = ExplainRenderer.json(e)
        Fixtures.assertGolden(text, Fixtures.root.appendingPathComponent("explain/\(name).json"))
        // Valid JSON, with the fields tools rely on.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let stacks = try #require(object["stacks"] as? [[String: Any]])
        #expect(stacks.count == e.stacks.count)
    }

    @Test func sameBytesEveryRun() throws {
        let a = ExplainRenderer.json(try Self.explain("every-key"))
        let b = ExplainRenderer.json(try Self.explain("every-key"))
        #expect(a == b)
    }
}

@Suite struct ExplainWords {
    func plan(_ yaml: String) throws -> Explanation {
        let checked = Pipeline.check(Array(yaml.utf8))
        let stacks = try #require(checked.stacks, "\(checked.diagnostics.map(\.message))")
        return Explainer.explain(stacks, spec: checked.spec)
    }

    let header = """
        version: 1
        stack: {name: S}
        repositories:
          - id: R
            imageScanOnPush: true
            imageTagMutability: IMMUTABLE

        """

    @Test func theIssueExample() throws {
        let e = try plan(header + """
                lifecycleRules:
                  - tagPrefixList: [prod]
                    maxImageCount: 9999
                  - maxImageAge: 30d
            """)
        let rules = e.stacks[0].repositories[0].lifecycle
        #expect(rules.map(\.text) == [
            "keep the 9999 newest images with a tag starting with 'prod'; expire older ones",
            "expire any image pushed more than 30 days ago",
        ])
        #expect(rules.map(\.priority) == [1, 2])
    }

    @Test func rulesAreListedByPriorityNotAsWritten() throws {
        let e = try plan(header + """
                lifecycleRules:
                  - {tagPrefixList: [prod], maxImageCount: 100, rulePriority: 10}
                  - {maxImageAge: 30d}
                  - {tagPatternList: ["rc-*"], maxImageCount: 3, rulePriority: 5}
                  - {tagStatus: untagged, maxImageAge: 1 day}
            """)
        let rules = e.stacks[0].repositories[0].lifecycle
        #expect(rules.map(\.priority) == [5, 10, 11, 12])
        #expect(rules.map(\.written) == [3, 1, 4, 2])
        #expect(rules[2].text == "expire any untagged image pushed more than 1 day ago")
        #expect(ExplainRenderer.text(e).contains("[rule 3 as written]"))
    }

    @Test func archiveRules() throws {
        let e = try plan(header + """
                lifecycleRules:
                  - {tagPrefixList: [old], maxTimeSinceLastPull: 60d, action: archive}
                  - {tagPatternList: ["v1*"], maxImageCount: 2, action: archive}
                  - {storageClass: archive, maxTimeInArchive: 180d}
            """)
        #expect(e.stacks[0].repositories[0].lifecycle.map(\.text) == [
            "move any image with a tag starting with 'old' not pulled for more than 60 days (counted from the push when never pulled) to the archive",
            "keep the 2 newest images with a tag matching 'v1*'; move older ones to the archive",
            "delete any image from the archive after 180 days in the archive",
        ])
    }

    @Test func oneImageIsSingular() throws {
        let e = try plan(header + """
                lifecycleRules:
                  - {tagStatus: untagged, maxImageCount: 1}
                  - {tagPrefixList: [a, b], maxImageCount: 1}
                  - {maxImageCount: 1}
            """)
        #expect(e.stacks[0].repositories[0].lifecycle.map(\.text) == [
            "keep the newest untagged image; expire older ones",
            "keep the newest image with a tag starting with 'a' and a tag starting with 'b'; expire older ones",
            "keep the newest image; expire older ones",
        ])
    }

    @Test func accessSaysWhichPolicy() throws {
        let e = try plan("""
            version: 1
            stack: {name: S, env: {account: "123456789012", region: eu-west-1}}
            repositories:
              - id: R
                repositoryName: team/r
                imageScanOnPush: true
                imageTagMutability: IMMUTABLE
                grants:
                  - {principal: {role: ci}, access: pullPush}
                  - {principal: {account: "210987654321"}, access: pull}
                  - {principal: {service: codebuild.amazonaws.com}, access: read}
            """)
        let access = e.stacks[0].repositories[0].access
        #expect(access.map(\.through) == [.identityPolicy, .repositoryPolicy, .repositoryPolicy])
        #expect(access[0].file == "policies/role-ci.json")
        #expect(access[0].authorizationToken)
        #expect(access[1].crossAccountFile == "policies/cross-account/210987654321-account.json")
        #expect(access[2].crossAccountFile == nil)
        #expect(access[2].text.hasPrefix("service codebuild.amazonaws.com may read"))
        #expect(e.authorizationToken.map(\.principal) == [.role("ci"), .account("210987654321")])
    }
}

/// The caret renderer: the plain line first, then the source line and a caret under the column.
@Suite struct CaretRendering {
    func render(_ source: String, _ line: Int, _ column: Int, notes: [Diagnostic.Note] = []) -> String {
        CaretRenderer.text([.error("boom", at: Mark(line: line, column: column), notes: notes)], path: "s.yaml",
                           source: Array(source.utf8))
    }

    /// The caret's cell and the cell the character at `column` is shown at must be the same.
    func caretCell(_ out: String) -> Int {
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        let caret = lines.first { $0.hasSuffix("^") }!
        return caret.count - 1
    }

    @Test func plainLineStaysFirst() {
        let out = render("a: 1\nbb: 2\n", 2, 1)
        #expect(out == "s.yaml:2:1: error: boom\n  |\n2 | bb: 2\n  | ^\n\n")
    }

    @Test func columnsCountCharactersAndTabsExpand() {
        // Column 6 is 'x': after a tab (4 cells), 'é' (1) and '日' (2 cells).
        let out = render("\té日:x\n", 1, 5)
        #expect(out.contains("1 |     é日:x\n"))
        #expect(caretCell(out) == "1 | ".count + 4 + 1 + 2 + 1)
    }

    @Test func combiningMarksTakeNoCell() {
        let out = render("cafe\u{301}: x\n", 1, 8)
        #expect(caretCell(out) == "1 | ".count + 6)
    }

    @Test func byteOrderMarkAndLineBreaks() {
        // A BOM is not part of line 1; CR LF, CR and NEL end lines as libyaml counts them.
        let source = "\u{FEFF}a: 1\r\nb: 2\rc: 3\u{85}d: 4\n"
        #expect(render(source, 1, 1).contains("1 | a: 1\n"))
        #expect(render(source, 2, 1).contains("2 | b: 2\n"))
        #expect(render(source, 3, 1).contains("3 | c: 3\n"))
        #expect(render(source, 4, 4).contains("4 | d: 4\n  |    ^\n"))
    }

    @Test func controlCharactersAreReplaced() {
        #expect(render("a\u{1B}[31m: 1\n", 1, 1).contains("1 | a\u{FFFD}[31m: 1\n"))
    }

    @Test func columnPastTheEndAndMissingLines() {
        #expect(render("ab\n", 1, 3).contains("1 | ab\n  |   ^\n"))
        // An empty last line (after the final newline) exists; a line past it does not.
        #expect(render("ab\n", 2, 1) == "s.yaml:2:1: error: boom\n  |\n2 |\n  | ^\n\n")
        #expect(render("ab\n", 9, 1) == "s.yaml:9:1: error: boom\n\n")
    }

    @Test func notesGetTheirOwnSnippetWithOneGutterWidth() {
        let source = (1...12).map { "line\($0): x" }.joined(separator: "\n") + "\n"
        let out = render(source, 12, 9, notes: [.init("first here", at: Mark(line: 3, column: 1))])
        #expect(out == """
            s.yaml:12:9: error: boom
               |
            12 | line12: x
               |         ^
            s.yaml:3:1: note: first here
               |
             3 | line3: x
               | ^


            """)
    }

    @Test func longLinesAreCutAroundTheColumn() {
        let line = String(repeating: "a", count: 10_000) + "X" + String(repeating: "b", count: 10_000)
        let out = render(line + "\n", 1, 10_001)
        let lines = out.split(separator: "\n").map(String.init)
        let source = lines[2], caret = lines[3]
        #expect(source.hasPrefix("1 | …") && source.hasSuffix("…"))
        #expect(source.count < CaretRenderer.maxCells + 10)
        // The caret is under the X.
        let xAt = source.distance(from: source.startIndex, to: source.firstIndex(of: "X")!)
        #expect(caret.count - 1 == xAt)
        // Short lines are not cut.
        #expect(!render("short: line\n", 1, 3).contains("…"))
    }

    @Test func colourOnlyWhenAsked() {
        let plain = render("a: 1\n", 1, 1)
        #expect(!plain.contains("\u{1B}"))
        let coloured = CaretRenderer.text([.error("boom", at: Mark(line: 1, column: 1))], path: "s.yaml",
                                          source: Array("a: 1\n".utf8), style: .init(colour: true))
        #expect(coloured.contains("\u{1B}[1;31m^"))
    }

    @Test func wideCharacters() {
        #expect(CaretRenderer.width("a") == 1)
        #expect(CaretRenderer.width("日") == 2)
        #expect(CaretRenderer.width("レ") == 2)
        #expect(CaretRenderer.width("😀") == 2)
        #expect(CaretRenderer.width("\u{301}") == 0)
        #expect(CaretRenderer.width("é") == 1)
    }
}

/// The line diff behind `synth --check --diff`.
@Suite struct UnifiedDiffTests {
    /// Applies a unified diff produced by `UnifiedDiff.unified` to `old`.
    static func apply(_ diff: String, to old: String) -> String {
        let a = UnifiedDiff.lines(old).map(String.init)
        var out: [String] = []
        var next = 0
        let lines = diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var k = 2
        while k < lines.count, lines[k].hasPrefix("@@") {
            let header = lines[k].split(separator: " ")
            let oldRange = header[1].dropFirst().split(separator: ",")
            var start = Int(oldRange[0])!
            if oldRange.count > 1, oldRange[1] == "0" { start += 1 }
            while next < start - 1 { out.append(a[next]); next += 1 }
            k += 1
            while k < lines.count, let first = lines[k].first, first != "@" {
                var text = String(lines[k].dropFirst()) + "\n"
                if k + 1 < lines.count, lines[k + 1] == "\\ No newline at end of file" {
                    text.removeLast()
                }
                switch first {
                case " ": out.append(text); next += 1
                case "-": next += 1
                case "+": out.append(text)
                default: break
                }
                k += 1
                if k < lines.count, lines[k] == "\\ No newline at end of file" { k += 1 }
            }
        }
        while next < a.count { out.append(a[next]); next += 1 }
        return out.joined()
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.unified(old: "a\nb\n", new: "a\nb\n", oldName: "x", newName: "y") == "")
    }

    @Test func theFormatOfDiffU() {
        let old = (1...20).map { "line \($0)\n" }.joined()
        var newLines = (1...20).map { "line \($0)\n" }
        newLines[1] = "line two\n"
        newLines.insert("inserted\n", at: 5)
        newLines.remove(at: 18)
        let new = newLines.joined()
        let diff = UnifiedDiff.unified(old: old, new: new, oldName: "out/a.json", newName: "out/a.json (synth)")
        #expect(diff == """
            --- out/a.json
            +++ out/a.json (synth)
            @@ -1,8 +1,9 @@
             line 1
            -line 2
            +line two
             line 3
             line 4
             line 5
            +inserted
             line 6
             line 7
             line 8
            @@ -15,6 +16,5 @@
             line 15
             line 16
             line 17
            -line 18
             line 19
             line 20

            """)
        #expect(Self.apply(diff, to: old) == new)
    }

    @Test func filesThatAppearOrDisappear() {
        #expect(UnifiedDiff.unified(old: nil, new: "a\nb\n", oldName: "o", newName: "n") == "--- /dev/null\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        #expect(UnifiedDiff.unified(old: "a\n", new: nil, oldName: "o", newName: "n") == "--- o\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n")
    }

    @Test func missingFinalNewline() {
        let diff = UnifiedDiff.unified(old: "a\nb", new: "a\nb\n", oldName: "o", newName: "n")
        #expect(diff == "--- o\n+++ n\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")
        #expect(Self.apply(diff, to: "a\nb") == "a\nb\n")
    }

    /// Random edits: the diff reproduces the new text, and is as short as `diff --minimal` finds.
    @Test func randomEditsRoundTripAndAreMinimal() throws {
        var rng = SplitMix(seed: 7)
        let gnuDiff = ["/usr/bin/diff", "/bin/diff"].first { FileManager.default.isExecutableFile(atPath: $0) }
        for _ in 0..<200 {
            let count = Int(rng.next() % 30)
            let old = (0..<count).map { _ in "l\(rng.next() % 6)\n" }
            var new = old
            for _ in 0..<Int(rng.next() % 8) {
                let op = rng.next() % 3
                if op == 0 || new.isEmpty {
                    new.insert("l\(rng.next() % 6)\n", at: Int(rng.next() % UInt64(new.count + 1)))
                } else if op == 1 {
                    new.remove(at: Int(rng.next() % UInt64(new.count)))
                } else {
                    new[Int(rng.next() % UInt64(new.count))] = "m\(rng.next() % 3)\n"
                }
            }
            let diff = UnifiedDiff.unified(old: old.joined(), new: new.joined(), oldName: "o", newName: "n")
            #expect(Self.apply(diff, to: old.joined()) == new.joined(), "\(old) → \(new)\n\(diff)")
            let changed = UnifiedDiff.edits(old, new).filter { if case .same = $0 { false } else { true } }.count
            if let gnuDiff {
                let minimal = try Self.gnuChanges(gnuDiff, old.joined(), new.joined())
                #expect(changed == minimal, "\(old) → \(new)")
            }
        }
    }

    static func gnuChanges(_ tool: String, _ a: String, _ b: String) throws -> Int {
        let dir = NSTemporaryDirectory() + "ecrsynth-diff-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(a.utf8).write(to: URL(fileURLWithPath: dir + "/a"))
        try Data(b.utf8).write(to: URL(fileURLWithPath: dir + "/b"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--minimal", "-U0", dir + "/a", dir + "/b"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .filter { ($0.hasPrefix("+") && !$0.hasPrefix("+++")) || ($0.hasPrefix("-") && !$0.hasPrefix("---")) }.count
    }

    @Test func largeRewritesFinish() {
        let old = (0..<20_000).map { "a\($0)\n" }
        let new = (0..<20_000).map { "b\($0)\n" }
        let script = UnifiedDiff.edits(old, new)
        #expect(script.count == 40_000)
    }
}

/// A small deterministic generator for the random tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

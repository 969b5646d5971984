import Testing
@testable import YAML

private func parse(_ text: String, limits: ParseLimits = .default) throws(YAMLError) -> Node? {
    try YAMLParser.parse(Array(text.utf8), limits: limits)
}

private func problems(_ text: String, limits: ParseLimits = .default) -> [YAMLProblem] {
    do {
        _ = try parse(text, limits: limits)
        return []
    } catch {
        return error.problems
    }
}

@Suite struct ParserTests {
    @Test func marksAreOneBased() throws {
        let root = try #require(try parse("a: 1\nlist:\n  - x\n  - 'y'\n"))
        let pairs = try #require(root.mapping)
        #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].value.mark == Mark(line: 1, column: 4))
        let items = try #require(pairs[1].value.sequence)
        #expect(items[0].mark == Mark(line: 3, column: 5))
        #expect(items[1].style == .singleQuoted)
        #expect(items[1].scalar == "y")
    }

    @Test func scalarsStayText() throws {
        let root = try #require(try parse("account: 012345678901\nflag: yes\nn: 1e3\n"))
        let values = try #require(root.mapping).map { $0.value.scalar }
        #expect(values == ["012345678901", "yes", "1e3"])
    }

    @Test func emptyAndCommentOnlyStreamsHaveNoDocument() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# only a comment\n\n") == nil)
    }

    @Test func byteOrderMarkAndCRLFAreAccepted() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a: 1\r\nb: 2\r\n".utf8)
        let root = try #require(try YAMLParser.parse(bytes))
        let pairs = try #require(root.mapping)
        #expect(pairs.map { $0.key.scalar } == ["a", "b"])
        #expect(pairs[1].key.mark == Mark(line: 2, column: 1))
    }

    @Test func utf16IsRejected() {
        let bytes: [UInt8] = [0xFF, 0xFE] + Array("a: 1".utf8).flatMap { [$0, 0] }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(bytes) }
        do { _ = try YAMLParser.parse(bytes) } catch {
            #expect(error.problems.first?.message == "input is UTF-16 encoded; save the spec as UTF-8")
        }
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let text = """
            base: &base
              a: 1
              b: 2
            other:
              <<: *base
              b: 3
            list: [*base, *base]
            """
        let root = try #require(try parse(text))
        let pairs = try #require(root.mapping)
        let other = try #require(pairs[1].value.mapping)
        #expect(other.map { $0.key.scalar } == ["b", "a"])
        #expect(other.first { $0.key.scalar == "b" }?.value.scalar == "3")
        #expect(pairs[2].value.sequence?.count == 2)
    }

    @Test func mergeOfAListOfMappings() throws {
        let root = try #require(try parse("x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n"))
        let z = try #require(root.mapping?[2].value.mapping)
        #expect(z.map { "\($0.key.scalar!)=\($0.value.scalar!)" } == ["a=1", "b=2"])
    }

    @Test func mergeOntoAScalarIsAnError() {
        let p = problems("a: &a 1\nb:\n  <<: *a\n")
        #expect(p.map(\.message) == ["a merge key '<<' takes a mapping or a list of mappings, not a scalar"])
        #expect(p.first?.mark == Mark(line: 3, column: 7))
    }

    @Test func duplicateKeysPointAtBothPlaces() {
        let p = problems("a: 1\nb: 2\na: 3\n")
        #expect(p.count == 1)
        #expect(p[0].message == "duplicate key 'a'")
        #expect(p[0].mark == Mark(line: 3, column: 1))
        #expect(p[0].note == .init(message: "'a' first defined here", mark: Mark(line: 1, column: 1)))
    }

    @Test func undefinedAlias() {
        let p = problems("a: *nowhere\n")
        #expect(p.map(\.message) == ["undefined alias 'nowhere'"])
        #expect(p.first?.mark == Mark(line: 1, column: 4))
    }

    @Test func secondDocumentIsRejected() {
        let p = problems("a: 1\n---\nb: 2\n")
        #expect(p.map(\.message) == ["found a second YAML document; a spec is a single document"])
        #expect(p.first?.mark == Mark(line: 2, column: 1))
    }

    @Test func nestingDepthIsLimitedWhileStreaming() {
        let deep = String(repeating: "[", count: 200_000)
        let p = problems(deep)
        #expect(p.map(\.message) == ["nesting is deeper than 64 levels"])
        #expect(p.first?.mark == Mark(line: 1, column: 65))
    }

    @Test func billionLaughsStopsAtTheBudget() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let p = problems(text)
        #expect(p.count == 1)
        #expect(p.first?.message.hasPrefix("aliases expand the document beyond 2000000 nodes") == true)
    }

    @Test func sizeLimit() {
        let p = problems(String(repeating: "x", count: 101), limits: ParseLimits(maxBytes: 100))
        #expect(p.map(\.message) == ["input is 101 bytes; the largest spec accepted is 100 bytes"])
    }

    @Test func libyamlErrorsCarryProblemAndContext() {
        let p = problems("a: [1, 2\nb: 3\n")
        #expect(p.count == 1)
        #expect(p[0].message == "did not find expected ',' or ']'")
        #expect(p[0].note?.message == "while parsing a flow sequence")
        #expect(p[0].note?.mark == Mark(line: 1, column: 4))
    }

    @Test func tabsAreReported() {
        let p = problems("a:\n\tb: 1\n")
        #expect(p.count == 1)
        #expect(p[0].mark.line == 2)
        #expect(p[0].message == "found a tab; YAML is indented with spaces only")
    }

    @Test func invalidUTF8IsPlaced() {
        let bytes = Array("a: 1\nb: x".utf8) + [0xFF] + Array("\n".utf8)
        do {
            _ = try YAMLParser.parse(bytes)
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.problems.first?.message == "the spec is not valid UTF-8: invalid leading UTF-8 octet (byte 0xFF)")
            #expect(error.problems.first?.mark == Mark(line: 2, column: 5))
        }
    }

    @Test func nulIsRejected() {
        let bytes = Array("a: 1\n".utf8) + [0] + Array("b: 2\n".utf8)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(bytes) }
    }

    @Test func tenThousandDuplicateKeysAreAllReported() {
        var text = ""
        for _ in 0..<10_000 { text += "k: v\n" }
        #expect(problems(text).count == 9_999)
    }
}

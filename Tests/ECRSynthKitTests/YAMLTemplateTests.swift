import ECRSpec
@testable import ECRSynthKit
import Foundation
import Testing
import YAML

/// `synth --format yaml`: the same template as the JSON one, written by libyaml's emitter.
@Suite struct YAMLTemplateTests {
    /// The YAML read back (scalars as text) equals the JSON template (scalars as text).
    @Test(arguments: SynthFixtures.cases)
    func roundTrip(_ name: String) throws {
        let spec = Fixtures.root.appendingPathComponent("synth/\(name)/spec.yaml")
        let checked = Pipeline.check(try SpecReader.read(spec.path, maxBytes: 16 << 20))
        for stack in try #require(checked.stacks) {
            let template = TemplateRenderer.template(stack)
            let yaml = YAMLTemplate.bytes(template)
            let node = try #require(try YAMLParser.parse(yaml))
            #expect(text(node) == text(template), "\(name): YAML and JSON templates differ")
        }
    }

    @Test func seedGolden() throws {
        let spec = Fixtures.root.appendingPathComponent("synth/seed/spec.yaml")
        let checked = Pipeline.check(try SpecReader.read(spec.path, maxBytes: 16 << 20))
        let files = Pipeline.render(try #require(checked.stacks), format: .yaml)
        let template = try #require(files.first { $0.path.hasSuffix(".template.yaml") })
        Fixtures.assertGolden(String(decoding: template.bytes, as: UTF8.self),
                              Fixtures.root.appendingPathComponent("yaml/seed.template.yaml"))
    }

    @Test func stringsThatLookLikeOtherTypesAreQuoted() throws {
        let value: JSONValue = .object([("a", .string("true")), ("b", .string("2012-10-17")), ("c", .string("*")),
                                        ("d", .int(5)), ("e", .string("")), ("f", .string("plain text"))])
        let node = try #require(try YAMLParser.parse(YAMLTemplate.bytes(value)))
        let styles = try #require(node.mapping).map { $0.value.style }
        #expect(styles == [.doubleQuoted, .doubleQuoted, .doubleQuoted, .plain, .doubleQuoted, .plain]
            || styles[2] == .singleQuoted)
        #expect(try #require(node.mapping).map { $0.value.scalar } == ["true", "2012-10-17", "*", "5", "", "plain text"])
    }

    func text(_ n: Node) -> String {
        switch n.kind {
        case .scalar(let s, _): return "s:" + s
        case .sequence(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .mapping(let pairs): return "{" + pairs.map { text($0.key) + "=" + text($0.value) }.joined(separator: ",") + "}"
        }
    }

    func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "s:" + s
        case .int(let i): return "s:\(i)"
        case .double(let d): return "s:\(d)"
        case .bool(let b): return "s:\(b)"
        case .null: return "s:null"
        case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { "s:" + $0.0 + "=" + text($0.1) }.joined(separator: ",") + "}"
        }
    }
}

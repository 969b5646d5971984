import ECRSpec
@testable import ECRSynthKit
import Foundation
import Testing

/// Invalid specs and their exact diagnostics, as `ecrsynth validate CASE.yaml` prints them.
@Suite struct ValidateFixtures {
    static let cases = Fixtures.names("validate", suffix: ".yaml")

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 60)
    }

    @Test(arguments: cases)
    func diagnostics(_ name: String) throws {
        let url = Fixtures.root.appendingPathComponent("validate/\(name)")
        let bytes = try SpecReader.read(url.path, maxBytes: 16 << 20)
        let checked = Pipeline.check(bytes)
        #expect(checked.diagnostics.hasErrors, "\(name) must be invalid")
        #expect(checked.plan == nil)
        let text = DiagnosticFormatter.text(checked.diagnostics, path: name)
            + DiagnosticFormatter.summary(checked.diagnostics, path: name)
        Fixtures.assertGolden(text, url.deletingPathExtension().appendingPathExtension("stderr"))
    }
}

/// Valid specs and the exact tree synth writes.
@Suite struct SynthFixtures {
    static let cases = Fixtures.names("synth", directories: true)

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 15)
    }

    @Test(arguments: cases)
    func output(_ name: String) throws {
        let dir = Fixtures.root.appendingPathComponent("synth/\(name)")
        let bytes = try SpecReader.read(dir.appendingPathComponent("spec.yaml").path, maxBytes: 16 << 20)
        let checked = Pipeline.check(bytes)
        let stacks = try #require(checked.stacks, "\(name): \(checked.diagnostics.map(\.message))")
        let files = Pipeline.render(stacks)
        #expect(Pipeline.render(stacks) == files, "rendering twice gives the same bytes")
        for stack in stacks {
            // The JSON template assembled from pre-rendered pieces is the template written whole.
            #expect(Array(TemplateRenderer.templateJSON(stack).joined()) == JSONWriter.prettyBytes(TemplateRenderer.template(stack)), "\(name): \(stack.stackName)")
        }
        let expectedDir = dir.appendingPathComponent("expected")
        if Fixtures.recording {
            try? FileManager.default.removeItem(at: expectedDir)
            _ = try OutputWriter.write(files, to: expectedDir.path)
            Issue.record("recorded \(name)/expected; unset RECORD_SNAPSHOTS and run again")
            return
        }
        let expected = Fixtures.tree(expectedDir)
        #expect(Set(expected.keys) == Set(files.map(\.path)), "\(name): the set of files differs")
        for f in files {
            #expect(expected[f.path] == f.bytes, "\(name)/expected/\(f.path) differs")
        }
    }
}

/// ecrsynth's Resources and Description equal the real CDK app's for the same spec.
@Suite struct CDKParity {
    static let cases = Fixtures.names("cdk", directories: true)

    @Test func thereAreCases() {
        #expect(Self.cases.count >= 3)
    }

    @Test(arguments: cases)
    func sameResources(_ name: String) throws {
        let dir = Fixtures.root.appendingPathComponent("cdk/\(name)")
        let bytes = try SpecReader.read(dir.appendingPathComponent("spec.yaml").path, maxBytes: 16 << 20)
        let checked = Pipeline.check(bytes)
        let plan = try #require(checked.plan, "\(name): \(checked.diagnostics.map(\.message))")
        let ours = try JSONSerialization.jsonObject(with: Data(JSONWriter.pretty(TemplateRenderer.template(plan)).utf8)) as! [String: Any]
        let cdk = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cdk.template.json"))) as! [String: Any]
        let ourResources = ours["Resources"] as! [String: Any]
        let cdkResources = cdk["Resources"] as! [String: Any]
        #expect(Set(ourResources.keys) == Set(cdkResources.keys), "\(name): logical IDs differ")
        for (id, resource) in cdkResources {
            #expect(NSDictionary(dictionary: resource as! [String: Any]).isEqual(ourResources[id]), "\(name): \(id) differs")
        }
        #expect(ours["Description"] as? String == cdk["Description"] as? String)
        // LifecyclePolicyText compared as a string, byte for byte.
        for (id, resource) in cdkResources {
            let props = (resource as! [String: Any])["Properties"] as? [String: Any]
            if let text = (props?["LifecyclePolicy"] as? [String: Any])?["LifecyclePolicyText"] as? String {
                let mine = (((ourResources[id] as? [String: Any])?["Properties"] as? [String: Any])?["LifecyclePolicy"] as? [String: Any])?["LifecyclePolicyText"] as? String
                #expect(mine == text)
            }
        }
    }
}

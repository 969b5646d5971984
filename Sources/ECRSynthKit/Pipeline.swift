import ECRSpec
import YAML

/// The whole run as one expression: bytes → Spec → Plan → stacks → files.
public enum Pipeline {
    public struct Checked: Sendable {
        public var spec: Spec?
        /// One plan per stack; set only when there is no error.
        public var stacks: [Plan]?
        public var diagnostics: [Diagnostic]

        /// The first stack's plan (the only one for a spec that fits one stack).
        public var plan: Plan? { stacks?.first }
    }

    /// Loads, validates, plans and splits into stacks. `previous` is the repository → stack
    /// assignment of the output folder's manifest, which is kept.
    public static func check(_ bytes: [UInt8], previous: [String: String] = [:], limits: ParseLimits = .default) -> Checked {
        let (spec, loadDiagnostics) = SpecLoader.load(bytes, limits: limits)
        guard let spec else { return Checked(spec: nil, stacks: nil, diagnostics: loadDiagnostics) }
        let (plan, planDiagnostics) = Planner.plan(spec)
        let (stacks, splitDiagnostics) = StackSplitter.split(plan, previous: previous)
        let all = (loadDiagnostics + planDiagnostics + splitDiagnostics).normalized()
        return Checked(spec: spec, stacks: all.hasErrors ? nil : stacks, diagnostics: all)
    }

    public enum TemplateFormat: String, Sendable, CaseIterable {
        case json, yaml
    }

    /// Every file synth writes for valid stacks, the manifest last.
    public static func render(_ stacks: [Plan], format: TemplateFormat = .json) -> [OutputFile] {
        var files: [OutputFile] = []
        for stack in stacks {
            let template = TemplateRenderer.template(stack)
            switch format {
            case .json:
                files.append(OutputFile(path: "\(stack.stackName).template.json", bytes: JSONWriter.prettyBytes(template)))
            case .yaml:
                files.append(OutputFile(path: "\(stack.stackName).template.yaml", bytes: YAMLTemplate.bytes(template)))
            }
        }
        for (path, json) in PolicyFiles.files(stacks) {
            files.append(OutputFile(path: path, text: JSONWriter.pretty(json)))
        }
        files.append(OutputWriter.manifest(for: files, stacks: stacks))
        return files
    }
}

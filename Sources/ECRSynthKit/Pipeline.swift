import ECRSpec
import YAML

/// The whole run as one expression: bytes → Spec → Plan → files.
public enum Pipeline {
    public struct Checked: Sendable {
        public var spec: Spec?
        public var plan: Plan?
        public var diagnostics: [Diagnostic]
    }

    /// Loads, validates and plans. `plan` is set only when there is no error.
    public static func check(_ bytes: [UInt8], limits: ParseLimits = .default) -> Checked {
        let (spec, loadDiagnostics) = SpecLoader.load(bytes, limits: limits)
        guard let spec else { return Checked(spec: nil, plan: nil, diagnostics: loadDiagnostics) }
        let (plan, planDiagnostics) = Planner.plan(spec)
        let all = (loadDiagnostics + planDiagnostics).normalized()
        return Checked(spec: spec, plan: all.hasErrors ? nil : plan, diagnostics: all)
    }

    /// Every file synth writes for a valid plan, the manifest last.
    public static func render(_ plan: Plan) -> [OutputFile] {
        var files = [OutputFile(path: "\(plan.stackName).template.json", text: JSONWriter.pretty(TemplateRenderer.template(plan)))]
        for (path, json) in PolicyFiles.files(plan) {
            files.append(OutputFile(path: path, text: JSONWriter.pretty(json)))
        }
        files.append(OutputWriter.manifest(for: files, stack: plan.stackName))
        return files
    }
}

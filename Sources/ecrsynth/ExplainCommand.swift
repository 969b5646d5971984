import ArgumentParser
import ECRSpec
import ECRSynthKit
#if canImport(Glibc)
import Glibc
#endif

enum ExplainFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say in plain words what the spec does: lifecycle rules, access, events, stacks.",
        discussion: """
            Per repository: the lifecycle rules in the order ECR applies them with their final priorities, who may \
            pull, push or read and through which policy, where its events go, the stack it lands in, and its \
            encryption, scanning, tag mutability and removal policy. SPEC defaults to ./ecrsynth.yaml, then \
            ./spec.yaml. The manifest in the output folder (-o) is read, as synth reads it, so the stacks named are \
            the ones synth would write. An invalid spec prints its diagnostics and exits 1.
            """
    )

    @Argument(help: "The spec file.")
    var spec: String?

    @Option(help: "text (for people) or json (for tools).")
    var format: ExplainFormat = .text

    @Option(name: [.short, .customLong("output")], help: "The output folder whose manifest.json keeps repositories in their stacks.")
    var output = "ecrsynth.out"

    func run() throws {
        let path = try resolveSpec(spec)
        let checked = try checkSpec(path, strict: false, previous: OutputWriter.previousAssignment(output))
        if !checked.diagnostics.isEmpty {
            Terminal.err(diagnosticText(checked.diagnostics, path: path))
        }
        guard let stacks = checked.stacks else {
            Terminal.err(DiagnosticFormatter.summary(checked.diagnostics, path: path))
            throw ExitCode(1)
        }
        let explanation = Explainer.explain(stacks, spec: checked.spec)
        Terminal.out(format == .json ? ExplainRenderer.json(explanation) : ExplainRenderer.text(explanation))
    }
}

/// Whether text diagnostics show the source line with a caret: on a terminal, or when
/// `ECRSYNTH_CARETS=1` (tests, and people who pipe stderr into a pager); `ECRSYNTH_CARETS=0` turns
/// them off. Colour stays what `Terminal.colour` says, so a forced run is plain text.
var caretsWanted: Bool {
    if let forced = getenv("ECRSYNTH_CARETS") {
        return String(cString: forced) == "1"
    }
    return isatty(STDERR_FILENO) == 1
}

/// Text diagnostics of one spec: `path:line:col: severity: message`, followed by the source line and
/// a caret when `caretsWanted`.
func diagnosticText(_ diagnostics: [Diagnostic], path: String) -> String {
    let style = DiagnosticFormatter.Style(colour: Terminal.colour)
    guard !diagnostics.isEmpty, caretsWanted,
          let source = try? SpecReader.read(path, maxBytes: SpecReader.maxSpecBytes) else {
        return DiagnosticFormatter.text(diagnostics, path: path, style: style)
    }
    return CaretRenderer.text(diagnostics, path: path, source: source, style: style)
}

/// `synth --check --diff`: what would change in `dir`, as one unified diff per file.
func outputDiff(_ files: [OutputFile], report: OutputReport, dir: String) -> String {
    var byPath: [String: OutputFile] = [:]
    for f in files { byPath[f.path] = f }
    func old(_ path: String) -> String? {
        (try? SpecReader.read(dir + "/" + path, maxBytes: 1 << 30)).map { String(decoding: $0, as: UTF8.self) }
    }
    var out = ""
    for path in report.changed + report.added + report.removed {
        let new = byPath[path].map { String(decoding: $0.bytes, as: UTF8.self) }
        out += UnifiedDiff.unified(old: report.added.contains(path) ? nil : (old(path) ?? ""), new: new,
                                   oldName: "\(dir)/\(path)", newName: "\(dir)/\(path) (synth)")
    }
    return out
}

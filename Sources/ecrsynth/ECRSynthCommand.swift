import ArgumentParser
import ECRSpec
import ECRSynthKit
#if canImport(Glibc)
import Glibc
#endif

@main
struct ECRSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecrsynth",
        abstract: "Turn a YAML spec of Amazon ECR repositories into CloudFormation templates and IAM policy documents.",
        discussion: """
            Exit codes: 0 success, 1 invalid spec or --check drift, 64 usage error, 74 input/output error.
            """,
        version: ecrsynthVersion,
        subcommands: [Validate.self, Synth.self, Preview.self, Schema.self, Explain.self, Init.self]
    )
}

/// Where diagnostics go and how they look.
enum Terminal {
    static var colour: Bool {
        isatty(STDERR_FILENO) == 1 && getenv("NO_COLOR") == nil && String(cString: getenv("TERM") ?? strdup("dumb")) != "dumb"
    }

    static func err(_ s: String) { write(s, to: STDERR_FILENO) }

    static func out(_ s: String) { write(s, to: STDOUT_FILENO) }

    static func write(_ s: String, to fd: Int32) {
        var bytes = Array(s.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

/// The spec paths a command works on: as given, or the default lookup.
func resolveSpec(_ given: String?) throws -> String {
    if let given { return given }
    for candidate in ["ecrsynth.yaml", "spec.yaml"] where access(candidate, F_OK) == 0 {
        return candidate
    }
    Terminal.err("ecrsynth: error: no SPEC given, and neither ./ecrsynth.yaml nor ./spec.yaml exists\n")
    throw ExitCode(74)
}

/// Reads, validates and plans one spec, printing its diagnostics as text.
func checkSpec(_ path: String, strict: Bool, previous: [String: String] = [:]) throws -> Pipeline.Checked {
    let bytes: [UInt8]
    do {
        bytes = try SpecReader.read(path, maxBytes: SpecReader.maxSpecBytes)
    } catch {
        Terminal.err(error.description + "\n")
        throw ExitCode(74)
    }
    var checked = Pipeline.check(bytes, previous: previous)
    defer { ExitParking.park(checked) }
    if strict {
        checked.diagnostics = checked.diagnostics.map { d in
            var d = d
            if d.severity == .warning { d.severity = .error }
            return d
        }
        if checked.diagnostics.hasErrors { checked.stacks = nil }
    }
    return checked
}

enum DiagnosticsFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check specs and report every problem with file, line and column.",
        discussion: "SPEC defaults to ./ecrsynth.yaml, then ./spec.yaml."
    )

    @Argument(help: "Spec files to check.")
    var specs: [String] = []

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    @Option(help: "How to report: text (stderr), json or github (stdout).")
    var diagnostics: DiagnosticsFormat = .text

    func run() throws {
        ExitParking.enable()
        let paths = specs.isEmpty ? [try resolveSpec(nil)] : specs
        var results: [(path: String, diagnostics: [Diagnostic])] = []
        var failed = false
        var ioFailed = false
        for path in paths {
            do {
                let checked = try checkSpec(path, strict: strict)
                results.append((path, checked.diagnostics))
                if checked.diagnostics.hasErrors { failed = true }
            } catch let e as ExitCode where e == ExitCode(74) {
                ioFailed = true
            }
        }
        switch diagnostics {
        case .text:
            for (path, ds) in results {
                Terminal.err(diagnosticText(ds, path: path))
                Terminal.err(DiagnosticFormatter.summary(ds, path: path))
            }
        case .json:
            Terminal.out(DiagnosticFormatter.json(results))
        case .github:
            for (path, ds) in results { Terminal.out(DiagnosticFormatter.github(ds, path: path)) }
        }
        if ioFailed { throw ExitCode(74) }
        if failed { throw ExitCode(1) }
    }
}

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Validate, plan and write the CloudFormation template, IAM policy documents and manifest.",
        discussion: "SPEC defaults to ./ecrsynth.yaml, then ./spec.yaml. An invalid spec writes nothing."
    )

    @Argument(help: "The spec file.")
    var spec: String?

    @Option(name: [.short, .customLong("output")], help: "The output folder.")
    var output = "ecrsynth.out"

    @Flag(help: "Write nothing; exit 1 when the output folder is not what synth would write.")
    var check = false

    @Flag(help: "With --check (implied), also print a unified diff of each file that would change, appear or disappear.")
    var diff = false

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    @Option(help: "Template format: json (the CDK's) or yaml.")
    var format: TemplateFormatArgument = .json

    func run() throws {
        ExitParking.enable()
        let path = try resolveSpec(spec)
        // Files are staged while the rest render; the output folder is touched only once the spec
        // is valid (the first files exist).
        var stager: OutputWriter.Stager?
        var stagerFailure: IOFailure?
        let writing = !(check || diff)
        let files = try Timings.measure("check+render+free") {
            try render(path) { first, batch in
                guard writing, stagerFailure == nil else { return }
                do throws(IOFailure) {
                    if stager == nil { stager = try OutputWriter.Stager(dir: output) }
                    stager?.submit(batch, at: first)
                } catch {
                    stagerFailure = error
                }
            }
        }
        do {
            if let stagerFailure { throw stagerFailure }
            if check || diff {
                let report = try OutputWriter.check(files, in: output)
                let stale = report.changed.map { "  changed: \(output)/\($0)\n" }
                    + report.added.map { "  missing: \(output)/\($0)\n" }
                    + report.removed.map { "  extra:   \(output)/\($0)\n" }
                if stale.isEmpty {
                    Terminal.out("\(output) is up to date (\(files.count) files)\n")
                } else {
                    Terminal.err("\(output) is stale; run 'ecrsynth synth \(path) -o \(output)':\n" + stale.joined())
                    if diff { Terminal.out(outputDiff(files, report: report, dir: output)) }
                    throw ExitCode(1)
                }
            } else {
                let report = try Timings.measure("write") {
                    try (stager ?? OutputWriter.Stager(dir: output)).finish(files)
                }
                Terminal.out("\(output): \(report.written.count) written, \(report.unchanged.count) unchanged, \(report.removed.count) removed\n")
            }
        } catch let failure as IOFailure {
            Terminal.err(failure.description + "\n")
            throw ExitCode(74)
        }
    }

    /// Checks the spec, prints its diagnostics and renders every file, handing each group of files to
    /// `emit` as soon as it is made (only for a valid spec).
    func render(_ path: String, emit: (_ first: Int, _ files: [OutputFile]) -> Void) throws -> [OutputFile] {
        let checked = try checkSpec(path, strict: strict, previous: OutputWriter.previousAssignment(output))
        if !checked.diagnostics.isEmpty {
            Terminal.err(diagnosticText(checked.diagnostics, path: path))
        }
        guard let stacks = checked.stacks else {
            Terminal.err(DiagnosticFormatter.summary(checked.diagnostics, path: path))
            Terminal.err("ecrsynth: nothing written\n")
            throw ExitCode(1)
        }
        return Pipeline.render(stacks, format: format.value, emit: emit)
    }
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of the spec, for editors.",
        discussion: """
            Save it next to your spec and point the YAML language server at it:
              ecrsynth schema > ecrsynth.schema.json
              # yaml-language-server: $schema=./ecrsynth.schema.json
            """
    )

    func run() throws {
        Terminal.out(JSONWriter.pretty(KeyTables.jsonSchema()))
    }
}

enum TemplateFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case json, yaml

    var value: Pipeline.TemplateFormat { self == .json ? .json : .yaml }
}

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
        let loaded = load(bytes, limits: limits)
        guard let spec = loaded.spec else { return Checked(spec: nil, stacks: nil, diagnostics: loaded.diagnostics) }
        let loadDiagnostics = loaded.diagnostics
        let (plan, planDiagnostics) = Timings.measure("plan") { Planner.plan(spec, early: loaded.planned) }
        let (stacks, splitDiagnostics) = Timings.measure("split") { StackSplitter.split(plan, previous: previous) }
        ExitParking.park(plan)
        let all = (loadDiagnostics + planDiagnostics + splitDiagnostics).normalized()
        return Checked(spec: spec, stacks: all.hasErrors ? nil : stacks, diagnostics: all)
    }

    /// Parses and decodes, and returns the repositories' parts when they were planned during the
    /// parse (see `RepositoryPrefetch.follow`). The document tree is not needed after decoding: a
    /// command-line run parks it until exit (freeing it node by node cost 8 % of synth's time at
    /// 10,000 repositories, for about 30 MB more peak memory); otherwise it is freed on return,
    /// before planning.
    static func load(_ bytes: [UInt8], limits: ParseLimits)
        -> (spec: Spec?, diagnostics: [Diagnostic], planned: [Planner.RepositoryParts]?) {
        // Repositories are decoded on a second thread while the parser reads on, and each is planned
        // as soon as it is decoded.
        let prefetch = RepositoryPrefetch()
        prefetch.follow = { stack in
            let planner = Planner.repositoryPlanner(stack: stack)
            return { repo in planner(repo) }
        }
        let root: Node?
        do {
            root = try Timings.measure("parse") { () throws(YAMLError) in
                try YAMLParser.parse(bytes, limits: limits, observer: prefetch)
            }
        } catch {
            prefetch.abandon()
            return (nil, error.problems.map(\.diagnostic), nil)
        }
        return Timings.measure("decode") {
            prefetch.finish()
            defer { ExitParking.park(root as Any) }
            let (spec, diagnostics) = SpecLoader.load(root: root, prefetched: prefetch)
            // The planned parts are those of the repositories the loader took from the prefetch.
            let planned = prefetch.followed()?.map { unsafeDowncast($0, to: Planner.RepositoryParts.self) }
            return (spec, diagnostics, planned)
        }
    }

    public enum TemplateFormat: String, Sendable, CaseIterable {
        case json, yaml
    }

    /// Every file synth writes for valid stacks: the templates, the policy files, the manifest last.
    /// `emit` receives each group as soon as it is made, with the index of its first file (the
    /// policy files come first, as the templates take longest), so writing can start meanwhile.
    public static func render(_ stacks: [Plan], format: TemplateFormat = .json,
                              emit: (_ first: Int, _ files: [OutputFile]) -> Void = { _, _ in }) -> [OutputFile] {
        Timings.measure("render") { renderFiles(stacks, format: format, emit: emit) }
    }

    /// Templates handed to `emit` at a time (as many as make the writer start its own thread).
    static let templateGroup = OutputWriter.Stager.threadMinimum

    static func renderFiles(_ stacks: [Plan], format: TemplateFormat,
                            emit: (_ first: Int, _ files: [OutputFile]) -> Void) -> [OutputFile] {
        let policies = PolicyFiles.files(stacks)
        let policyFiles = Parallel.map(policies.count) { i in
            OutputFile(path: policies[i].path, bytes: JSONWriter.prettyBytes(policies[i].json))
        }
        emit(stacks.count, policyFiles)
        // Many stacks are handed over in groups, so the first are written while the rest render.
        var templates: [OutputFile] = []
        templates.reserveCapacity(stacks.count)
        var start = 0
        while start < stacks.count {
            let end = stacks.count - start < 2 * templateGroup ? stacks.count : start + templateGroup
            let group = Parallel.map(end - start, minimumPerThread: 1) { [start] i in
                let stack = stacks[start + i]
                switch format {
                case .json: return OutputFile(path: "\(stack.stackName).template.json", chunks: TemplateRenderer.templateJSON(stack))
                case .yaml: return OutputFile(path: "\(stack.stackName).template.yaml", bytes: YAMLTemplate.bytes(TemplateRenderer.template(stack)))
                }
            }
            emit(start, group)
            templates += group
            start = end
        }
        var files = templates + policyFiles
        files.append(OutputWriter.manifest(for: files, stacks: stacks))
        return files
    }
}

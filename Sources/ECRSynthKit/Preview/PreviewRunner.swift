import ECRSpec

/// `ecrsynth preview` without the terminal: bytes in, stdout, stderr and an exit code out, so the
/// whole command, its messages included, is testable in process.
public enum PreviewRunner {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    /// A file's bytes and the name messages use for it (the path as given, or `<stdin>`).
    public struct Input: Sendable {
        public var path: String
        public var bytes: [UInt8]

        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    public struct Request: Sendable {
        public var spec: Input
        public var images: Input
        /// The spec to compare against (the one before the change).
        public var against: Input?
        /// A repository `id` or `repositoryName`.
        public var repository: String?
        public var now: PreviewTime
        public var format: Format
        public var colour: Bool

        public init(spec: Input, images: Input, against: Input? = nil, repository: String? = nil,
                    now: PreviewTime, format: Format = .text, colour: Bool = false) {
            self.spec = spec
            self.images = images
            self.against = against
            self.repository = repository
            self.now = now
            self.format = format
            self.colour = colour
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var stdout = ""
        public var stderr = ""
        /// 0 success; 1 an invalid spec or images file, or a repository the spec does not have;
        /// 64 when the spec has several repositories and nothing says which.
        public var exitCode: Int32 = 0
    }

    public static func run(_ request: Request) -> Outcome {
        var o = Outcome()
        let style = DiagnosticFormatter.Style(colour: request.colour)

        // Everything wrong with the inputs is reported before giving up. A valid spec's warnings
        // (tag mutability, scanning…) are `validate`'s business, not the preview's: not repeated here.
        func check(_ input: Input) -> Plan? {
            let checked = Pipeline.check(input.bytes)
            guard let plan = checked.plan else {
                o.stderr += DiagnosticFormatter.text(checked.diagnostics, path: input.path, style: style)
                o.stderr += DiagnosticFormatter.summary(checked.diagnostics, path: input.path)
                return nil
            }
            return plan
        }
        let plan = check(request.spec)
        let againstPlan = request.against.map(check)
        let read = DescribeImagesReader.read(request.images.bytes)
        for p in read.problems { o.stderr += p.render(path: request.images.path) }
        guard let plan, againstPlan.map({ $0 != nil }) ?? true, !read.problems.hasErrors else {
            o.exitCode = 1
            return o
        }

        let repo: RepositoryPlan
        switch select(in: plan, named: request.repository, imageRepositoryNames: read.repositoryNames.map(\.name)) {
        case .found(let r):
            repo = r
        case .missing(let name):
            o.stderr += "\(request.spec.path): error: no repository '\(name)' in the spec; it has \(list(plan.repositories))\n"
            o.exitCode = 1
            return o
        case .ambiguous:
            o.stderr += "\(request.spec.path): error: the spec has \(plan.repositories.count) repositories; "
                + "choose one with --repository: \(list(plan.repositories))\n"
            o.exitCode = 64
            return o
        }
        if let name = repo.repository.repositoryName?.value {
            for other in read.repositoryNames where other.name != name {
                o.stderr += InputProblem(.warning, .jsonPath("imageDetails[\(other.firstIndex)].repositoryName"),
                                         "'\(other.name)' is not '\(name)', the repository previewed").render(path: request.images.path)
            }
        }
        let shownName = repo.repository.repositoryName?.value ?? repo.id
        let result = LifecycleSimulator.simulate(rules: repo.lifecycle, images: read.images, now: request.now)

        guard let againstPlan = againstPlan ?? nil, let against = request.against else {
            o.stdout = request.format == .json
                ? PreviewRenderer.json(result, repositoryName: repo.repository.repositoryName?.value)
                : PreviewRenderer.text(result, repository: shownName)
            return o
        }
        let baseline = counterpart(of: repo, in: againstPlan, named: request.repository, single: plan.repositories.count == 1)
        if baseline == nil {
            o.stderr += "\(against.path): note: no repository '\(shownName)' in this spec; compared as a repository without lifecycle rules\n"
        }
        let before = LifecycleSimulator.simulate(rules: baseline?.lifecycle ?? [], images: read.images, now: request.now)
        let diff = PreviewDiff.compare(before: before, after: result)
        o.stdout = request.format == .json
            ? PreviewRenderer.json(diff, repositoryName: repo.repository.repositoryName?.value)
            : PreviewRenderer.text(diff, repository: shownName, specPath: request.spec.path, againstPath: against.path)
        return o
    }

    enum Selection {
        case found(RepositoryPlan)
        case missing(String)
        case ambiguous
    }

    /// The repository named (by id or repositoryName), else the only one, else the one whose
    /// repositoryName is the only name the images carry.
    static func select(in plan: Plan, named: String?, imageRepositoryNames: [String]) -> Selection {
        let repos = plan.repositories
        if let named {
            if let r = repos.first(where: { $0.id == named }) ?? repos.first(where: { $0.repository.repositoryName?.value == named }) {
                return .found(r)
            }
            return .missing(named)
        }
        if repos.count == 1 { return .found(repos[0]) }
        if imageRepositoryNames.count == 1 {
            let matching = repos.filter { $0.repository.repositoryName?.value == imageRepositoryNames[0] }
            if matching.count == 1 { return .found(matching[0]) }
        }
        return .ambiguous
    }

    /// The same repository in the other spec: by --repository, by repositoryName, by id, or the
    /// only one when both specs have one.
    static func counterpart(of repo: RepositoryPlan, in other: Plan, named: String?, single: Bool) -> RepositoryPlan? {
        let repos = other.repositories
        if let named, case .found(let r) = select(in: other, named: named, imageRepositoryNames: []) { return r }
        if let name = repo.repository.repositoryName?.value, let r = repos.first(where: { $0.repository.repositoryName?.value == name }) {
            return r
        }
        if let r = repos.first(where: { $0.id == repo.id }) { return r }
        return single && repos.count == 1 ? repos[0] : nil
    }

    /// `Web (team/web), Api`
    static func list(_ repos: [RepositoryPlan]) -> String {
        repos.map { r in
            guard let name = r.repository.repositoryName?.value, name != r.id else { return "'\(r.id)'" }
            return "'\(r.id)' (\(name))"
        }.joined(separator: ", ")
    }

    /// Parses `--now`: an ISO 8601 time with an offset, or epoch seconds.
    public static func parseNow(_ text: String) -> PreviewTime? {
        if let t = PreviewTime.parseISO8601(text) { return t }
        var text = text
        return text.withUTF8 { PreviewTime.parseEpochSeconds(bytes: $0) }
    }
}

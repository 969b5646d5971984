import ArgumentParser
import ECRSpec
import ECRSynthKit
#if canImport(Glibc)
import Glibc
#endif

enum PreviewFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show which images the lifecycle rules would expire or archive, offline, from 'aws ecr describe-images' output.",
        discussion: """
            SPEC defaults to ./ecrsynth.yaml, then ./spec.yaml. '-' reads SPEC, --images or --against from stdin.
            The images file is what 'aws ecr describe-images --repository-name NAME --output json' prints.
            The rules are evaluated as ECR documents it; only the images a rule acts on are listed.
            With --against, only the images whose outcome differs between the two specs are listed.
            Exit codes: 0 success, 1 invalid spec or images file, 64 usage error, 74 input/output error.
            """
    )

    @Argument(help: "The spec file ('-' for stdin).")
    var spec: String?

    @Option(help: ArgumentHelp("The output of 'aws ecr describe-images --output json' ('-' for stdin).", valueName: "file"))
    var images: String

    @Option(help: ArgumentHelp("The repository to preview, by id or repositoryName; needed when the spec has several.",
                               valueName: "name|id"))
    var repository: String?

    @Option(help: ArgumentHelp("The evaluation time: ISO 8601 with an offset (2024-06-01T00:00:00Z) or epoch seconds. Default: the current time.",
                               valueName: "time"))
    var now: String?

    @Option(help: "text (a table and a summary) or json (the shape of ECR's GetLifecyclePolicyPreview).")
    var format: PreviewFormat = .text

    @Option(help: ArgumentHelp("The spec before the change: list the images the change newly expires or archives, and those it no longer does.",
                               valueName: "other-spec"))
    var against: String?

    func validate() throws {
        if let now, PreviewRunner.parseNow(now) == nil {
            throw ValidationError("--now: expected an ISO 8601 time with an offset (such as 2024-06-01T00:00:00Z) or epoch seconds, got '\(now)'")
        }
        if [spec, images, against].filter({ $0 == "-" }).count > 1 {
            throw ValidationError("only one of SPEC, --images and --against can be '-' (stdin)")
        }
    }

    func run() throws {
        let specPath = spec == "-" ? "-" : try resolveSpec(spec)
        let specInput = try readSpec(specPath)
        let againstInput = try against.map(readSpec)
        let imagesInput = try readInput(images, what: "the images file", maxBytes: 1 << 30)
        let outcome = PreviewRunner.run(PreviewRunner.Request(
            spec: specInput, images: imagesInput, against: againstInput, repository: repository,
            now: now.flatMap(PreviewRunner.parseNow) ?? PreviewTime.now(),
            format: format == .json ? .json : .text, colour: Terminal.colour))
        Terminal.err(outcome.stderr)
        Terminal.out(outcome.stdout)
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// A spec: read as the other commands read it, or from stdin.
    private func readSpec(_ path: String) throws -> PreviewRunner.Input {
        if path == "-" { return try readInput(path, what: "the spec", maxBytes: SpecReader.maxSpecBytes) }
        do {
            return PreviewRunner.Input(path: path, bytes: try SpecReader.read(path, maxBytes: SpecReader.maxSpecBytes))
        } catch {
            Terminal.err(error.description + "\n")
            throw ExitCode(74)
        }
    }

    /// A file, a pipe (`--images <(aws ecr describe-images …)`) or stdin (`-`), up to `maxBytes`.
    private func readInput(_ path: String, what: String, maxBytes: Int) throws -> PreviewRunner.Input {
        let label = path == "-" ? "<stdin>" : path
        func fail(_ message: String) -> ExitCode {
            Terminal.err("\(label): error: \(message)\n")
            return ExitCode(74)
        }
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail("cannot open \(what): \(String(cString: strerror(errno)))") }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { throw fail("\(what) is a directory") }
        // Read straight into the buffer: the size of a regular file (+1 to see EOF), else growing.
        var bytes = [UInt8](repeating: 0, count: st.st_mode & S_IFMT == S_IFREG ? min(Int(st.st_size), maxBytes) + 1 : 1 << 16)
        var count = 0
        while true {
            if count == bytes.count {
                if count > maxBytes { throw fail("\(what) is larger than \(maxBytes) bytes") }
                bytes.append(contentsOf: repeatElement(0, count: count))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            count += n
        }
        if count > maxBytes { throw fail("\(what) is larger than \(maxBytes) bytes") }
        bytes.removeSubrange(count...)
        return PreviewRunner.Input(path: label, bytes: bytes)
    }
}

// libFuzzer harness for ecrsynth: bytes → YAML → Spec → validation → Plan → stacks → rendered files,
// all in process. Build and run with `make fuzz` (see docs/hostile-input.md); the recipe is in
// /work/shared/notes/fuzzing-with-swiftpm.md. Only built with -c release -sanitize=fuzzer,address
// -DECRSYNTH_FUZZ_DRIVER does it fuzz: in the normal `swift build` it links without libFuzzer, and
// `ecrsynth-fuzz FILE...` runs each file through the harness once (FuzzRegressionTests does that).
//
// Besides crashes, leaks, timeouts and out-of-memory, these oracles are findings (they trap):
//   - a valid spec yields an output path that could leave the output folder;
//   - rendering the same stacks twice gives different bytes (synth --check would never settle);
//   - a JSON template does not read back (JSONReader) as the value it was written from;
//   - a YAML template does not read back (YAMLParser) as the same tree, or holds a plain scalar that a
//     YAML 1.1 reader (CloudFormation's) would take for a number, boolean, null or date instead of a string;
//   - repositories decoded (and planned) while parsing (RepositoryPrefetch) give other diagnostics, or
//     other files, than decoding and planning after.
import ECRSpec
import ECRSynthKit
import YAML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    checkEarlyDecoding(bytes)
    let checked = Pipeline.check(bytes)
    // Every command prints the diagnostics: format them the three ways the CLI does.
    _ = DiagnosticFormatter.text(checked.diagnostics, path: "fuzz.yaml")
    _ = DiagnosticFormatter.summary(checked.diagnostics, path: "fuzz.yaml")
    _ = DiagnosticFormatter.json([(path: "fuzz.yaml", diagnostics: checked.diagnostics)])
    _ = DiagnosticFormatter.github(checked.diagnostics, path: "fuzz.yaml")
    guard let stacks = checked.stacks else { return 0 }

    let files = Pipeline.render(stacks)
    for f in files where !isSafe(f.path) {
        fatalError("unsafe output path from a valid spec: \(f.path.debugDescription)")
    }
    if Pipeline.render(stacks) != files { fatalError("rendering the same stacks twice gave different files") }

    for stack in stacks {
        let template = TemplateRenderer.template(stack)
        let json = files.first { $0.path == "\(stack.stackName).template.json" }
        guard let json, let back = try? JSONReader.parse(json.bytes) else {
            fatalError("the JSON template of \(stack.stackName) does not parse")
        }
        if let d = firstDifference(back, template, at: "") {
            fatalError("the JSON template of \(stack.stackName) reads back differently at \(d)")
        }
        let yaml = YAMLTemplate.bytes(template)
        let limits = ParseLimits(maxBytes: Int.max, maxDepth: 10_000, maxNodes: Int.max)
        let node: Node?
        do { node = try YAMLParser.parse(yaml, limits: limits) } catch {
            fatalError("the YAML template of \(stack.stackName) does not parse: \(error)\n\(String(decoding: yaml, as: UTF8.self))")
        }
        guard let node else { fatalError("the YAML template of \(stack.stackName) is empty") }
        if let problem = sameTree(node, template, at: "") {
            fatalError("the YAML template of \(stack.stackName) reads back differently at \(problem)")
        }
    }
    return 0
}

/// Loads `bytes` with and without the repositories decoded (and planned) during the parse: the same
/// diagnostics, and the same plan diagnostics and files.
func checkEarlyDecoding(_ bytes: [UInt8]) {
    let prefetch = RepositoryPrefetch()
    prefetch.follow = { stack in
        let planner = Planner.repositoryPlanner(stack: stack)
        return { planner($0) }
    }
    guard let root = try? YAMLParser.parse(bytes, observer: prefetch) else {
        prefetch.abandon()
        return
    }
    prefetch.finish()
    guard prefetch.isActive else { return }
    let early = SpecLoader.load(root: root, prefetched: prefetch)
    if early.diagnostics != SpecLoader.load(root: root).diagnostics {
        fatalError("repositories decoded while parsing give other diagnostics than decoding after the parse")
    }
    guard let spec = early.spec, let planned = prefetch.followed() else { return }
    let a = Planner.plan(spec, early: planned.map { unsafeDowncast($0, to: Planner.RepositoryParts.self) })
    let b = Planner.plan(spec)
    if a.diagnostics != b.diagnostics {
        fatalError("repositories planned while parsing give other diagnostics than planning after the parse")
    }
    if Pipeline.render(StackSplitter.split(a.plan).stacks) != Pipeline.render(StackSplitter.split(b.plan).stacks) {
        fatalError("repositories planned while parsing give other files than planning after the parse")
    }
}

func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String) -> String? {
    switch (a, b) {
    case (.array(let x), .array(let y)):
        if x.count != y.count { return "\(path): \(x.count) items != \(y.count)" }
        for (i, (p, q)) in zip(x, y).enumerated() { if let d = firstDifference(p, q, at: "\(path)[\(i)]") { return d } }
        return nil
    case (.object(let x), .object(let y)):
        // JSON objects are unordered (the writer may sort keys); keys must be unique and the same.
        let xk = x.map(\.0), yk = y.map(\.0)
        if Set(xk).count != xk.count { return "\(path): a duplicate key in \(xk)" }
        if Set(xk) != Set(yk) || xk.count != yk.count { return "\(path): keys \(xk.sorted()) != \(yk.sorted())" }
        for (k, v) in x {
            if let d = firstDifference(v, y.first { $0.0 == k }!.1, at: "\(path).\(k)") { return d }
        }
        return nil
    default:
        return a == b ? nil : "\(path): \(a) != \(b)"
    }
}

func isSafe(_ path: String) -> Bool {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    return !path.isEmpty && !path.hasPrefix("/") && !path.utf8.contains(0)
        && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
}

/// Compares a parsed YAML node with the JSON value it was emitted from; returns where they differ.
func sameTree(_ node: Node, _ value: JSONValue, at path: String) -> String? {
    switch (node.kind, value) {
    case (.scalar(let text, let style), .string(let s)):
        if text != s { return "\(path): \(text.debugDescription) != \(s.debugDescription)" }
        if style == .plain && node.tag == nil && yaml11Typed(s) { return "\(path): \(s.debugDescription) is plain" }
    case (.scalar(let text, .plain), .int(let i)):
        if text != String(i) { return "\(path): \(text) != \(i)" }
    case (.scalar(let text, .plain), .bool(let b)):
        if text != (b ? "true" : "false") { return "\(path): \(text) != \(b)" }
    case (.scalar(let text, .plain), .null):
        if text != "null" { return "\(path): \(text) != null" }
    case (.scalar(let text, .plain), .double(let d)):
        if Double(text) != d { return "\(path): \(text) != \(d)" }
    case (.sequence(let items), .array(let values)):
        if items.count != values.count { return "\(path): \(items.count) items != \(values.count)" }
        for (i, (n, v)) in zip(items, values).enumerated() {
            if let p = sameTree(n, v, at: "\(path)[\(i)]") { return p }
        }
    case (.mapping(let pairs), .object(let values)):
        if pairs.count != values.count { return "\(path): \(pairs.count) keys != \(values.count)" }
        for (pair, (k, v)) in zip(pairs, values) {
            guard case .scalar(let key, let style) = pair.key.kind, key == k else { return "\(path): key \(k.debugDescription)" }
            if style == .plain && yaml11Typed(k) { return "\(path): key \(k.debugDescription) is plain" }
            if let p = sameTree(pair.value, v, at: "\(path).\(k)") { return p }
        }
    default:
        return "\(path): \(node.kindDescription) for \(value)"
    }
    return nil
}

/// Whether a plain scalar would be read as something other than a string by a YAML 1.1 reader (or by a
/// YAML 1.2 core-schema one): the implicit types of the YAML 1.1 type repository, written out here
/// independently of the emitter's own rule.
func yaml11Typed(_ s: String) -> Bool {
    if s.isEmpty || s == "~" || s == "<<" || s == "=" { return true }
    let words: Set<String> = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
                              "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
                              ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"]
    if words.contains(s) { return true }
    var u = Array(s.utf8)[...]
    if let f = u.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { u = u.dropFirst() }
    guard let first = u.first else { return false }
    let digit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
    // Integers (decimal, 0b, 0o, 0x, sexagesimal), floats (with '_', exponents), dates: all start with a
    // digit, or with '.' and a digit.
    if digit(first) { return u.allSatisfy { digit($0) || "_:.eExXoObBabcdefABCDEF+-TtZz ".utf8.contains($0) } }
    if first == UInt8(ascii: "."), u.count > 1, digit(u[u.index(after: u.startIndex)]) {
        return u.dropFirst().allSatisfy { digit($0) || "_.eE+-".utf8.contains($0) }
    }
    return false
}

typealias FuzzCallback = @convention(c) (UnsafeRawPointer, Int) -> CInt

#if ECRSYNTH_FUZZ_DRIVER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCallback) -> CInt
#endif

@_cdecl("ecrsynth_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    #if ECRSYNTH_FUZZ_DRIVER
    var c = argc, v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
    #else
    // Without libFuzzer: run each file given through the harness once (a crash is a finding).
    let args = (1..<Int(argc)).compactMap { argv?[$0].map { String(cString: $0) } }
    if args.isEmpty {
        print("ecrsynth-fuzz: built without libFuzzer; `make fuzz` builds the real fuzzer. Usage here: ecrsynth-fuzz FILE...")
        return 2
    }
    for path in args {
        guard let bytes = try? SpecReader.read(path, maxBytes: 64 << 20) else { print("ecrsynth-fuzz: cannot read \(path)"); return 2 }
        _ = bytes.withUnsafeBytes { fuzzOne($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
        print("ecrsynth-fuzz: \(path): ok")
    }
    return 0
    #endif
}

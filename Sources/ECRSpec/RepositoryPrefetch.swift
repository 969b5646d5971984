import Dispatch
import YAML
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes repositories on a second thread while the parser is still reading the rest of the spec.
///
/// As the parser completes each element of `repositories`, it is queued; from the 64th on, a worker
/// decodes the queue with the `stack` and `defaults` seen so far (specs usually write them first).
/// When the parse ends, the caller helps with what is left. The loader uses the results only when the
/// finished document has that same `stack`, `defaults` and `repositories` list; otherwise it decodes
/// again, so the outcome never depends on this.
public final class RepositoryPrefetch: ParseObserver, @unchecked Sendable {
    /// What the queued repositories are decoded against.
    struct Context {
        var stackMark: Mark?
        var defaultsMark: Mark?
        var env: Environment?
        var defaults: [Pair]
        /// What to do next with each decoded repository, made from `follow` for this stack.
        var next: (@Sendable (Repository) -> AnyObject)?
    }

    /// The next step for each repository (the planning that follows decoding, which depends only
    /// on the repository and its stack), done as soon as it is decoded, on the thread that decoded
    /// it. Given the stack the repositories are decoded against, it returns that step. Set before
    /// the parse; the results come from `followed()`.
    public var follow: (@Sendable (StackSpec) -> @Sendable (Repository) -> AnyObject)?

    private let lock = Lock()
    private let available = DispatchSemaphore(value: 0)
    private let group = DispatchGroup()
    // Set on the parsing thread before the worker starts; read-only afterwards.
    private var stackNode: Node?
    private var defaultsNode: Node?
    private(set) var context: Context?
    private(set) var sequenceMark: Mark?
    // Guarded by `lock`.
    private var items: [Node] = []
    private var results: [(Repository?, [Diagnostic])] = []
    /// The next step's result for each repository decoded, beside `results`.
    private var nextResults: [AnyObject?] = []
    /// Handed over by `decoded`: the next step's results of the repositories decoded, in order.
    private var handedNext: [AnyObject]?
    private var claimed = 0
    private var finished = 0
    private var closed = false
    private var abandoned = false
    /// The worker is asleep, waiting for a batch of items or the end of the queue.
    private var waiting = false
    /// `decoded` handed the repositories over (for tests).
    private(set) var handedOver = false

    public init() {}

    public func rootValue(key: String, value: Node) {
        guard context == nil else { return }
        if key == "stack" { stackNode = value }
        if key == "defaults" { defaultsNode = value }
    }

    /// Past this many repositories (ECR's limit per Region) nothing more is decoded early: such a
    /// spec is decoded after the parse, if it parses at all, so a hostile one costs no extra memory.
    static let limit = 100_000
    /// The worker starts once this many repositories are queued: a small spec is decoded after the
    /// parse, on the threads already running, faster than a thread starts.
    static let start = 64
    /// A worker that has caught up with the parser sleeps until this many more are queued: waking a
    /// thread is a system call on the parsing thread, too dear to make for every repository.
    static let batch = 32

    /// Whether repositories are being decoded early.
    public var isActive: Bool { context != nil }

    public func rootSequenceItem(key: String, sequence: Mark, index: Int, item: Node) {
        // With one processor there is no second thread to decode on.
        guard key == "repositories", Parallel.width > 1 else { return }
        guard index < Self.limit else {
            if index == Self.limit {
                lock.locked { abandoned = true }
                wakeIfWaiting()
            }
            return
        }
        let wake = lock.locked {
            items.append(item)
            results.append((nil, []))
            nextResults.append(nil)
            guard waiting, items.count - claimed >= Self.batch else { return false }
            waiting = false
            return true
        }
        if wake { available.signal() }
        if context == nil, index + 1 == Self.start {
            let scratch = Findings()
            let stack = stackNode.flatMap { SpecLoader.decodeStack($0, scratch) }
            context = Context(stackMark: stackNode?.mark, defaultsMark: defaultsNode?.mark, env: stack?.env,
                              defaults: defaultsNode.map { SpecLoader.defaultPairs($0, scratch) } ?? [],
                              next: stack.flatMap { stack in follow.map { $0(stack) } })
            sequenceMark = sequence
            group.enter()
            DispatchQueue.global().async {
                self.work()
                self.group.leave()
            }
        }
    }

    private enum Claim {
        case item(Int, Node)
        case wait
        case done
    }

    /// The next queued repository, or what to do when there is none: wait for more (a worker, while
    /// the queue is open) or stop.
    private func claim(orWait mayWait: Bool) -> Claim {
        lock.locked {
            if abandoned { return .done }
            if claimed < items.count {
                claimed += 1
                return .item(claimed - 1, items[claimed - 1])
            }
            guard mayWait, !closed else { return .done }
            waiting = true
            return .wait
        }
    }

    /// Wakes the worker if it sleeps: for the end of the queue or of the work.
    private func wakeIfWaiting() {
        let wake = lock.locked {
            defer { waiting = false }
            return waiting
        }
        if wake { available.signal() }
    }

    /// Decodes queued repositories until the queue is closed and empty.
    private func work() {
        while true {
            switch claim(orWait: true) {
            case .item(let i, let node): decode(i, node)
            case .wait: available.wait()
            case .done: return
            }
        }
    }

    /// Claims and decodes the next queued repository; false when there is none left.
    private func decodeNext() -> Bool {
        guard case .item(let i, let node) = claim(orWait: false) else { return false }
        decode(i, node)
        return true
    }

    private func decode(_ i: Int, _ node: Node) {
        guard let context else { return }
        let findings = Findings()
        let repo = RepositoryDecoder(findings: findings, env: context.env).decode(node, defaults: context.defaults)
        let next = repo.flatMap { repo in context.next.map { $0(repo) } }
        lock.locked {
            results[i] = (repo, findings.diagnostics)
            nextResults[i] = next
            finished += 1
        }
    }

    /// Ends the queue: this thread decodes what is left beside the worker, and both finish. Call
    /// once, after the parse, whatever its outcome.
    public func finish() {
        guard context != nil else { return }
        lock.locked { closed = true }
        wakeIfWaiting()
        while decodeNext() {}
        group.wait()
    }

    /// Stops after the repository being decoded, for a parse that failed: nothing is used.
    public func abandon() {
        guard context != nil else { return }
        lock.locked {
            closed = true
            abandoned = true
        }
        wakeIfWaiting()
        group.wait()
    }

    /// The decoded repositories, if they were decoded against the document's own `stack` and
    /// `defaults` (nil when absent) and are all the elements of its `repositories` list. Hands them
    /// over without copying: a second call answers nil.
    func decoded(stack: Node?, defaults: Node?, repositories: Node) -> [(Repository?, [Diagnostic])]? {
        guard let context, context.stackMark == stack?.mark, context.defaultsMark == defaults?.mark,
              let count = repositories.sequence?.count else { return nil }
        return lock.locked {
            guard closed, !abandoned, sequenceMark == repositories.mark, items.count == count,
                  finished == count else { return nil }
            var done: [(Repository?, [Diagnostic])] = []
            swap(&done, &results)
            // The next step's results go with the repositories the loader keeps (those decoded),
            // when every one of them has one.
            let kept = done.indices.filter { done[$0].0 != nil }
            let next = kept.compactMap { nextResults[$0] }
            handedNext = next.count == kept.count ? next : nil
            nextResults = []
            finished = 0
            handedOver = true
            return done
        }
    }

    /// The next step's results (see `follow`) of the repositories the loader took from `decoded`,
    /// in their order; nil when it took none, or when one has no result. Hands them over once.
    public func followed() -> [AnyObject]? {
        lock.locked {
            defer { handedNext = nil }
            return handedNext
        }
    }
}

/// A mutual-exclusion lock (pthread), for the few fields threads share.
public final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    public func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

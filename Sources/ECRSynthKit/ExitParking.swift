#if os(Linux)
/// glibc's `mallopt` and its parameters (`<malloc.h>`, which the Glibc module does not include).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let M_TRIM_THRESHOLD: Int32 = -1
private let M_TOP_PAD: Int32 = -2
private let M_MMAP_THRESHOLD: Int32 = -3
#endif

/// Large values a command-line run parks until it exits instead of freeing them object by object:
/// the process ends right after writing its output, and the kernel takes back its memory at once.
/// Off unless the command turns it on, so a long-lived caller (tests, the fuzzer) frees as usual.
public enum ExitParking {
    nonisolated(unsafe) public private(set) static var enabled = false
    nonisolated(unsafe) private static var parked: [Any] = []

    /// Turns parking on for a run that ends when its command does. Call first, from the main thread.
    public static func enable() {
        enabled = true
    }

    /// Inputs from this size on make runs that allocate hundreds of megabytes.
    static let largeInput = 1 << 20

    /// For a parking run about to read `bytes` of input: from `largeInput` on, the allocator is told
    /// the run is short and large (memory freed is kept for reuse instead of going back to the
    /// system; large blocks come from the heap, which grows 64 MB at a time), so fewer fresh pages are
    /// touched and faulted in. Below that, its defaults are faster: a run over a small spec is over
    /// before the larger heap pays off. Call from the main thread before the work starts.
    public static func expect(inputBytes bytes: Int) {
        guard enabled, bytes >= largeInput else { return }
        #if os(Linux)
        _ = glibcMallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = glibcMallopt(M_TRIM_THRESHOLD, 256 << 20)
        _ = glibcMallopt(M_TOP_PAD, 64 << 20)
        #endif
    }

    /// Keeps `value` alive until the process exits, when enabled. Call from one thread at a time.
    public static func park(_ value: Any) {
        if enabled { parked.append(value) }
    }
}

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

    /// Turns parking on for a run that ends when its command does. The allocator is told the same:
    /// memory freed is kept for reuse instead of going back to the system, and large blocks come
    /// from the heap instead of mappings of their own, so fewer fresh pages are touched (and
    /// faulted in) along the way. Call first, from the main thread.
    public static func enable() {
        enabled = true
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

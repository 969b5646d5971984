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

    /// Keeps `value` alive until the process exits, when enabled. Call from one thread at a time.
    public static func park(_ value: Any) {
        if enabled { parked.append(value) }
    }
}

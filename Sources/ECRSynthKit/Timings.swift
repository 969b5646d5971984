#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Phase timings on stderr when `ECRSYNTH_TIMINGS=1`: where a run spends its time, for `make bench`
/// and profiling. Off, it costs one environment lookup per run.
public enum Timings {
    public static let enabled: Bool = getenv("ECRSYNTH_TIMINGS").map { String(cString: $0) == "1" } ?? false

    /// Runs `body` and, when enabled, prints how long it took.
    @inline(__always)
    public static func measure<T, E: Error>(_ phase: String, _ body: () throws(E) -> T) throws(E) -> T {
        guard enabled else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        let elapsed = clock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var line = "ecrsynth: timing: \(phase) "
        line += String(Int(ms * 10) / 10) + "." + String(Int(ms * 10) % 10) + " ms\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        return result
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Order-preserving parallel map over the machine's processors, for work items that share nothing.
/// The result is the same as the serial map's, whatever the number of processors.
public enum Parallel {
    /// Processors this process may run on (at least 1); `ECRSYNTH_THREADS=N` overrides it.
    public static let width: Int = {
        if let v = getenv("ECRSYNTH_THREADS"), let n = Int(String(cString: v)), n >= 1 { return min(n, 64) }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }()

    /// `(0..<count).map(transform)`, computed in contiguous chunks on up to `width` threads. Below
    /// `minimumPerThread` items per thread it runs serially: starting threads costs more than it saves.
    public static func map<T: Sendable>(_ count: Int, minimumPerThread: Int = 16, _ transform: @Sendable (Int) -> T) -> [T] {
        let threads = min(width, count / max(1, minimumPerThread))
        if threads <= 1 { return (0..<count).map(transform) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = Slots(pointer: buffer.baseAddress!)
            // More chunks than threads, so a thread that finishes early takes another.
            let chunks = min(count, threads * 8)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = count * c / chunks, end = count * (c + 1) / chunks
                for i in start..<end { (base.pointer + i).initialize(to: transform(i)) }
            }
            initialized = count
        }
    }
}

/// The output buffer, shared by the threads of `Parallel.map`: each writes only its own indices.
private struct Slots<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
}

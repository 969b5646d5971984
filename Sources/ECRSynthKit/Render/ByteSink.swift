#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The growable buffer the JSON writers append to. Appending to an array checks each time that the
/// array is not shared and has room, and appending a pointer's bytes to one goes through generic
/// code; here an append is a room check and a copy. The bytes leave as one array at the end.
///
/// A class, so writers pass it around without `inout`; each is filled by one thread.
final class ByteSink {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        guard let memory = malloc(self.capacity) else { fatalError("out of memory") }
        base = memory.assumingMemoryBound(to: UInt8.self)
    }

    deinit { free(base) }

    /// The bytes written, as an array of exactly their size.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes written, as text. (A member, so the buffer lives while the text is read from it.)
    var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    @inline(__always)
    func append(_ u: UInt8) {
        if count == capacity { grow(toHold: count + 1) }
        base[count] = u
        count += 1
    }

    @inline(__always)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0 else { return }
        if capacity - count < n { grow(toHold: count + n) }
        (base + count).update(from: bytes.baseAddress!, count: n)
        count += n
    }

    /// Text known when compiling (brackets, keywords, fixed keys).
    @inline(__always)
    func append(_ s: StaticString) {
        s.withUTF8Buffer { append($0) }
    }

    /// Up to `n` bytes written in place by `body`, which gets a pointer to their start and returns
    /// how many it wrote.
    @inline(__always)
    func write(upTo n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if capacity - count < n { grow(toHold: count + n) }
        count += body(base + count)
    }

    /// A decimal integer, as `String(i)` writes it.
    func append(decimal i: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var magnitude = i.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            var at = buffer.count
            repeat {
                at -= 1
                buffer[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if i < 0 {
                at -= 1
                buffer[at] = UInt8(ascii: "-")
            }
            append(UnsafeBufferPointer(rebasing: buffer.bindMemory(to: UInt8.self)[at...]))
        }
    }

    @inline(never)
    private func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        guard let memory = realloc(base, newCapacity) else { fatalError("out of memory") }
        base = memory.assumingMemoryBound(to: UInt8.self)
        capacity = newCapacity
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time as whole microseconds since 1970-01-01T00:00:00Z: exact, cheap to compare,
/// and free of the rounding a `Double` brings to "exactly N days old".
public struct PreviewTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public init(epochSeconds: Int64) { self.microseconds = epochSeconds * 1_000_000 }

    public static let microsecondsPerDay: Int64 = 86_400 * 1_000_000

    public static func < (a: PreviewTime, b: PreviewTime) -> Bool { a.microseconds < b.microseconds }

    /// `2024-06-01T00:00:00Z`, with a fraction only when there is one.
    public var description: String { iso8601(fraction: true) }

    /// The current time, from the system clock.
    public static func now() -> PreviewTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return PreviewTime(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    /// Whole days from `self` to `now` (rounded down; negative when `self` is in the future).
    public func days(until now: PreviewTime) -> Int64 {
        let d = now.microseconds - microseconds
        return d >= 0 ? d / Self.microsecondsPerDay : -((-d + Self.microsecondsPerDay - 1) / Self.microsecondsPerDay)
    }

    // MARK: Formatting

    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`; `fraction` adds `.ffffff` (trailing zeros dropped) when non-zero.
    public func iso8601(fraction: Bool = false) -> String {
        var seconds = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        let (y, m, d) = Self.civil(fromDays: days)
        guard (0...9999).contains(y) else {
            // Outside four-digit years: not worth a fast path.
            return "\(y)-\(Self.pad(m, 2))-\(Self.pad(d, 2))T\(Self.pad(secOfDay / 3600, 2)):\(Self.pad(secOfDay / 60 % 60, 2)):\(Self.pad(secOfDay % 60, 2))Z"
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 28) { buf in
            var k = 0
            func put(_ v: Int64, _ width: Int) {
                var v = v
                var j = k + width - 1
                while j >= k { buf[j] = UInt8(48 + v % 10); v /= 10; j -= 1 }
                k += width
            }
            func put(_ c: UInt8) { buf[k] = c; k += 1 }
            put(y, 4); put(0x2D); put(m, 2); put(0x2D); put(d, 2); put(0x54)
            put(secOfDay / 3600, 2); put(0x3A); put(secOfDay / 60 % 60, 2); put(0x3A); put(secOfDay % 60, 2)
            if fraction && micros != 0 {
                put(0x2E)
                var f = micros, width = 6
                while f % 10 == 0 { f /= 10; width -= 1 }
                put(f, width)
            }
            put(0x5A)
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<k]), as: UTF8.self)
        }
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    // MARK: Parsing

    /// Parses an ISO 8601 / RFC 3339 date-time with an offset (`2024-05-01T10:00:00+02:00`,
    /// `2024-05-01T08:00:00.123456Z`, `+0200` also accepted; `T` may be a space). Digits past the
    /// sixth of a fraction are dropped. Returns nil for anything else, including times without an offset.
    public static func parseISO8601(_ text: String) -> PreviewTime? {
        var text = text
        return text.withUTF8 { parseISO8601(bytes: $0) }
    }

    static func parseISO8601(bytes b: UnsafeBufferPointer<UInt8>) -> PreviewTime? {
        var i = 0
        let n = b.count
        func digits(_ count: Int) -> Int64? {
            guard i + count <= n else { return nil }
            var v: Int64 = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard i < n, b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        var micros: Int64 = 0
        if i < n, b[i] == 0x2E || b[i] == 0x2C {
            i += 1
            var count = 0
            while i < n, b[i] >= 48, b[i] <= 57 {
                if count < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        guard i < n else { return nil }
        var offsetSeconds: Int64 = 0
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            let sign: Int64 = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(0x3A)
            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return PreviewTime(microseconds: seconds * 1_000_000 + micros)
    }

    /// Parses the text of a JSON number as epoch seconds (`1714550400`, `1714550400.123`, `1.7145504e9`).
    static func parseEpochSeconds(bytes b: UnsafeBufferPointer<UInt8>) -> PreviewTime? {
        // Fast path: optional minus, digits, optional fraction.
        var i = 0
        let n = b.count
        var negative = false
        if i < n, b[i] == 0x2D { negative = true; i += 1 }
        var whole: Int64 = 0
        var wholeDigits = 0
        while i < n, b[i] >= 48, b[i] <= 57 {
            guard wholeDigits < 12 else { return slowEpoch(b) }
            whole = whole * 10 + Int64(b[i] - 48)
            wholeDigits += 1
            i += 1
        }
        guard wholeDigits > 0 else { return nil }
        var micros: Int64 = 0
        if i < n, b[i] == 0x2E {
            i += 1
            var count = 0
            while i < n, b[i] >= 48, b[i] <= 57 {
                if count < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 6) { micros *= 10 }
        }
        guard i == n else { return slowEpoch(b) }
        let total = whole * 1_000_000 + micros
        return PreviewTime(microseconds: negative ? -total : total)
    }

    private static func slowEpoch(_ b: UnsafeBufferPointer<UInt8>) -> PreviewTime? {
        guard let d = Double(String(decoding: b, as: UTF8.self)), d.isFinite, abs(d) < 1e13 else { return nil }
        return PreviewTime(microseconds: Int64((d * 1_000_000).rounded()))
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

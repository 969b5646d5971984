import ECRSpec

/// One entry of `describe-images`' `imageDetails`, as far as lifecycle evaluation cares.
public struct PreviewImage: Sendable {
    public enum Status: String, Sendable, CaseIterable {
        case active = "ACTIVE"
        case archived = "ARCHIVED"
        case activating = "ACTIVATING"
    }

    public var digest: String
    /// Empty when the image is untagged.
    public var tags: [String]
    public var pushedAt: PreviewTime
    /// `imagePushedAt` exactly as the input wrote it: the string's text, or the number's digits.
    public var pushedAtText: String
    public var pushedAtIsNumber: Bool
    public var lastPulledAt: PreviewTime?
    public var lastArchivedAt: PreviewTime?
    public var lastActivatedAt: PreviewTime?
    public var status: Status

    public init(digest: String, tags: [String], pushedAt: PreviewTime, pushedAtJSON: JSONValue? = nil,
                lastPulledAt: PreviewTime? = nil, lastArchivedAt: PreviewTime? = nil,
                lastActivatedAt: PreviewTime? = nil, status: Status = .active) {
        self.digest = digest
        self.tags = tags
        self.pushedAt = pushedAt
        switch pushedAtJSON {
        case .int(let i)?: (pushedAtText, pushedAtIsNumber) = (String(i), true)
        case .double(let d)?: (pushedAtText, pushedAtIsNumber) = (String(d), true)
        case .string(let s)?: (pushedAtText, pushedAtIsNumber) = (s, false)
        default: (pushedAtText, pushedAtIsNumber) = (pushedAt.iso8601(fraction: true), false)
        }
        self.lastPulledAt = lastPulledAt
        self.lastArchivedAt = lastArchivedAt
        self.lastActivatedAt = lastActivatedAt
        self.status = status
    }

    /// `imagePushedAt` as the input gave it (a string or a number), echoed in JSON output.
    public var pushedAtJSON: JSONValue {
        guard pushedAtIsNumber else { return .string(pushedAtText) }
        return Int(pushedAtText).map(JSONValue.int) ?? .double(Double(pushedAtText) ?? 0)
    }

    /// The storage class lifecycle rules see: archived images are in `archive`, active ones in
    /// `standard`; an image being restored (`ACTIVATING`) is in neither.
    public var storageClass: StorageClass? {
        switch status {
        case .active: .standard
        case .archived: .archive
        case .activating: nil
        }
    }

    /// The time count rules order by and `maxImageAge` measures from: the push, or the last restore
    /// from the archive when that is later (ECR: "last_activated_at is used instead of pushed_at_time").
    public var effectivePushedAt: PreviewTime {
        if let a = lastActivatedAt, a > pushedAt { return a }
        return pushedAt
    }

    /// The time `maxTimeSinceLastPull` measures from: the last recorded pull, or, for an image never
    /// pulled (or not pulled since its restore), the push or restore time.
    public var effectivePulledAt: PreviewTime {
        let base = effectivePushedAt
        if let p = lastPulledAt, p > base { return p }
        return base
    }

    /// `sha256:0123…` → `0123456789ab`: the first 12 characters after the algorithm, as Docker shortens IDs.
    public var shortDigest: String {
        let u = digest.utf8
        let start = u.firstIndex(of: UInt8(ascii: ":")).map { u.index(after: $0) } ?? u.startIndex
        let end = u.index(start, offsetBy: 12, limitedBy: u.endIndex) ?? u.endIndex
        return String(Substring(u[start..<end]))
    }
}

/// A problem with the images file (or a note about it), placed by its JSON path or, for a syntax
/// error, by line and column.
public struct InputProblem: Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning, note }
    public enum Place: Sendable, Equatable {
        case file
        case jsonPath(String)
        case position(line: Int, column: Int)
    }

    public var severity: Severity
    public var place: Place
    public var message: String

    public init(_ severity: Severity, _ place: Place, _ message: String) {
        self.severity = severity
        self.place = place
        self.message = message
    }

    /// `images.json: error: imageDetails[3].imagePushedAt: expected …` or `images.json:4:7: error: …`.
    public func render(path: String) -> String {
        switch place {
        case .file: "\(path): \(severity.rawValue): \(message)\n"
        case .jsonPath(let p): "\(path): \(severity.rawValue): \(p): \(message)\n"
        case .position(let l, let c): "\(path):\(l):\(c): \(severity.rawValue): \(message)\n"
        }
    }
}

extension Array where Element == InputProblem {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}

import ECRSpec

/// Text and JSON renderings of a preview and of a preview diff. Pure: strings in, strings out.
public enum PreviewRenderer {
    // MARK: Text

    /// A header line, a table of the images acted on, and a summary line.
    public static func text(_ result: PreviewResult, repository: String) -> String {
        var out = header(repository: repository, images: result.images.count, now: result.now)
        out += ", \(plural(result.rules.count, "lifecycle rule"))\n"
        if result.rules.isEmpty {
            out += "the repository has no lifecycle rules: no image is expired or archived\n"
        } else if result.actedOn.isEmpty {
            out += "no image is expired or archived\n"
        } else {
            let labels = result.rules.map(ruleLabel)
            let actions = result.rules.map { actionWord($0.rule.action) }
            var rows: [[String]] = []
            rows.reserveCapacity(result.actedOn.count)
            for i in result.actedOn {
                let r = Int(result.appliedRule[i])
                var row = imageCells(result.images[i], now: result.now)
                row.append(actions[r])
                row.append(labels[r])
                rows.append(row)
            }
            out += table(["DIGEST", "TAGS", "PUSHED", "AGE", "STORAGE", "ACTION", "RULE"], rows)
        }
        let expiring = result.expiringCount, transitioning = result.transitioningCount
        out += "summary: \(expiring) expire, \(transitioning) archive, "
            + "\(result.images.count - expiring - transitioning) unaffected (of \(plural(result.images.count, "image")))"
        let perRule = result.rules.indices.filter { result.stats[$0].actedOn > 0 }
            .map { "rule \(result.rules[$0].priority): \(result.stats[$0].actedOn)" }
        if !perRule.isEmpty { out += "; " + perRule.joined(separator: ", ") }
        out += "\n"
        return out
    }

    /// The images whose outcome changes, with their outcome before and after.
    public static func text(_ diff: PreviewDiff, repository: String, specPath: String, againstPath: String) -> String {
        var out = header(repository: repository, images: diff.after.images.count, now: diff.after.now)
        out += "\n\(specPath) (\(plural(diff.after.rules.count, "rule"))) against \(againstPath) (\(plural(diff.before.rules.count, "rule")))\n"
        if diff.entries.isEmpty {
            out += "no image changes outcome\n"
        } else {
            var rows: [[String]] = []
            rows.reserveCapacity(diff.entries.count)
            for e in diff.entries {
                let image = diff.after.images[e.image]
                rows.append([e.change.label] + imageCells(image, now: diff.after.now)
                    + [outcome(diff.before.rule(of: e.image)), outcome(diff.after.rule(of: e.image))])
            }
            out += table(["CHANGE", "DIGEST", "TAGS", "PUSHED", "AGE", "STORAGE", "BEFORE", "AFTER"], rows)
        }
        out += "summary: " + PreviewDiff.Change.allCases.map { "\(diff.count($0)) \($0.label)" }.joined(separator: ", ")
        if diff.ruleChangedCount > 0 {
            out += ", \(plural(diff.ruleChangedCount, "image")) acted on by another rule"
        }
        out += "; before \(diff.before.expiringCount) expire, \(diff.before.transitioningCount) archive"
        out += "; after \(diff.after.expiringCount) expire, \(diff.after.transitioningCount) archive\n"
        return out
    }

    static func header(repository: String, images: Int, now: PreviewTime) -> String {
        "repository \(repository): \(plural(images, "image")), now \(now.iso8601(fraction: true))"
    }

    static func imageCells(_ image: PreviewImage, now: PreviewTime) -> [String] {
        var row: [String] = []
        row.reserveCapacity(8)
        row.append(image.shortDigest)
        row.append(tagsCell(image.tags))
        row.append(image.pushedAt.iso8601())
        row.append(String(image.pushedAt.days(until: now)) + "d")
        row.append(image.storageClass?.rawValue ?? "activating")
        return row
    }

    static func outcome(_ rule: PlannedRule?) -> String {
        guard let rule else { return "kept" }
        return "\(actionWord(rule.rule.action)) (rule \(rule.priority))"
    }

    static func actionWord(_ action: LifecycleAction) -> String { action.rawValue }

    /// `1 keep prod images`, or a summary in the spec's own terms when the rule has no description:
    /// `2 untagged, maxImageAge 1d`.
    public static func ruleLabel(_ p: PlannedRule) -> String {
        "\(p.priority) " + (p.rule.description.flatMap { $0.isEmpty ? nil : oneLine($0) } ?? ruleSummary(p.rule))
    }

    public static func ruleSummary(_ r: LifecycleRule) -> String {
        var parts: [String] = []
        switch r.tagStatus {
        case .any: parts.append("any")
        case .untagged: parts.append("untagged")
        case .tagged:
            if let p = r.tagPatternList { parts.append("tagPatternList [\(p.joined(separator: ", "))]") }
            if let p = r.tagPrefixList { parts.append("tagPrefixList [\(p.joined(separator: ", "))]") }
        }
        if r.effectiveStorageClass == .archive { parts.append("storageClass archive") }
        switch r.limit {
        case .maxImageCount(let n): parts.append("maxImageCount \(n)")
        case .maxImageAge(let d): parts.append("maxImageAge \(d)d")
        case .maxTimeSinceLastPull(let d): parts.append("maxTimeSinceLastPull \(d)d")
        case .maxTimeInArchive(let d): parts.append("maxTimeInArchive \(d)d")
        }
        if r.action == .archive { parts.append("action archive") }
        return parts.joined(separator: ", ")
    }

    static func oneLine(_ s: String) -> String {
        s.contains(where: \.isNewline) ? s.split(whereSeparator: \.isNewline).joined(separator: " ") : s
    }

    /// Tags joined by commas; past 40 characters the rest is counted: `v1,v1.2,latest,+3 more`.
    static func tagsCell(_ tags: [String]) -> String {
        if tags.isEmpty { return "<untagged>" }
        var out = ""
        for (k, tag) in tags.enumerated() {
            let piece = (k == 0 ? "" : ",") + tag
            if k > 0, width(out) + width(piece) > 40 {
                return out + ",+\(tags.count - k) more"
            }
            out += piece
        }
        return out
    }

    /// Columns separated by two spaces, padded to their widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(width)
        for row in rows {
            for c in 0..<(row.count - 1) {
                widths[c] = max(widths[c], width(row[c]))
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity((rows.count + 1) * (widths.reduce(0, +) + 2 * widths.count + 40))
        func line(_ cells: [String]) {
            for c in 0..<cells.count {
                out.append(contentsOf: cells[c].utf8)
                if c < cells.count - 1 {
                    out.append(contentsOf: repeatElement(0x20, count: widths[c] - width(cells[c]) + 2))
                }
            }
            out.append(0x0A)
        }
        line(header)
        for row in rows { line(row) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Characters, counted fast for ASCII.
    static func width(_ s: String) -> Int {
        for c in s.utf8 where c >= 0x80 { return s.count }
        return s.utf8.count
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    // MARK: JSON

    /// The shape of ECR's `GetLifecyclePolicyPreview` response.
    public static func json(_ result: PreviewResult, repositoryName: String?) -> String {
        var top = JSONObject()
        top.set("repositoryName", repositoryName.map(JSONValue.string))
        if !result.rules.isEmpty { top.set("lifecyclePolicyText", .string(LifecyclePlanner.policyText(result.rules))) }
        top.set("status", .string("COMPLETE"))
        // Built once and shared by every result of the rule.
        let actions = result.rules.map { actionJSON($0.rule.action) }
        let priorities = result.rules.map { JSONValue.int($0.priority) }
        top.set("previewResults", .array(result.actedOn.map { i in
            let image = result.images[i]
            let r = Int(result.appliedRule[i])
            return .object([
                ("imageDigest", .string(image.digest)),
                ("imageTags", .array(image.tags.map(JSONValue.string))),
                ("imagePushedAt", image.pushedAtJSON),
                ("action", actions[r]),
                ("appliedRulePriority", priorities[r]),
                ("storageClass", storageClassJSON(image)),
            ])
        }))
        top.set("summary", summaryJSON(result))
        return JSONWriter.pretty(top.json)
    }

    /// What changes, and both summaries.
    public static func json(_ diff: PreviewDiff, repositoryName: String?) -> String {
        var top = JSONObject()
        top.set("repositoryName", repositoryName.map(JSONValue.string))
        top.set("changes", .array(diff.entries.map { e in
            let image = diff.after.images[e.image]
            var o = JSONObject()
            o.set("change", .string(e.change.rawValue))
            o.set("imageDigest", .string(image.digest))
            o.set("imageTags", .array(image.tags.map(JSONValue.string)))
            o.set("imagePushedAt", image.pushedAtJSON)
            o.set("storageClass", storageClassJSON(image))
            o.set("before", diff.before.rule(of: e.image).map(appliedJSON))
            o.set("after", diff.after.rule(of: e.image).map(appliedJSON))
            return o.json
        }))
        var summary = JSONObject()
        summary.set("newlyExpiringImageCount", .int(diff.count(.newlyExpiring)))
        summary.set("newlyTransitioningImageCount", .int(diff.count(.newlyTransitioning)))
        summary.set("noLongerExpiringImageCount", .int(diff.count(.noLongerExpiring)))
        summary.set("noLongerTransitioningImageCount", .int(diff.count(.noLongerTransitioning)))
        summary.set("ruleChangedImageCount", .int(diff.ruleChangedCount))
        summary.set("before", summaryJSON(diff.before))
        summary.set("after", summaryJSON(diff.after))
        top.set("summary", summary.json)
        return JSONWriter.pretty(top.json)
    }

    static func appliedJSON(_ rule: PlannedRule) -> JSONValue {
        .object([("action", actionJSON(rule.rule.action)), ("appliedRulePriority", .int(rule.priority))])
    }

    static func actionJSON(_ action: LifecycleAction) -> JSONValue {
        switch action {
        case .expire: .object([("type", .string("EXPIRE"))])
        case .archive: .object([("type", .string("TRANSITION")), ("targetStorageClass", .string("ARCHIVE"))])
        }
    }

    static let standardJSON = JSONValue.string("STANDARD")
    static let archiveJSON = JSONValue.string("ARCHIVE")

    static func storageClassJSON(_ image: PreviewImage) -> JSONValue {
        image.storageClass == .archive ? archiveJSON : standardJSON
    }

    static func summaryJSON(_ result: PreviewResult) -> JSONValue {
        var summary = JSONObject()
        summary.set("expiringImageTotalCount", .int(result.expiringCount))
        let transitioning = result.transitioningCount
        if transitioning > 0 {
            summary.set("transitioningImageTotalCounts", .array([
                .object([("targetStorageClass", .string("ARCHIVE")), ("imageTotalCount", .int(transitioning))]),
            ]))
        }
        return summary.json
    }
}

import ECRSpec

/// Where a renderer writes JSON, one token at a time: straight into the template's bytes
/// (`PrettyJSON`) or into a `JSONValue` tree (`JSONValueBuilder`, for YAML templates and tests). The
/// renderers are written once, against this protocol, so both always hold the same document.
protocol JSONSink {
    /// Starts a member of the object being written; its value comes next. A key written in the code
    /// (`StaticString`) is one that needs no escape; one made at run time is `key(string:)`.
    mutating func key(_ key: StaticString)
    mutating func key(string key: String)
    mutating func beginObject()
    mutating func endObject()
    mutating func beginArray()
    mutating func endArray()
    mutating func string(_ s: String)
    /// A string written in the code, which needs no escape.
    mutating func literal(_ s: StaticString)
    mutating func bool(_ b: Bool)
    mutating func int(_ i: Int)
    /// A value already built.
    mutating func value(_ v: JSONValue)
}

extension JSONSink {
    mutating func member(_ key: StaticString, _ s: String) {
        self.key(key)
        string(s)
    }

    mutating func member(_ key: StaticString, literal s: StaticString) {
        self.key(key)
        literal(s)
    }

    mutating func member(_ key: StaticString, _ v: JSONValue) {
        self.key(key)
        value(v)
    }

    mutating func member(_ key: StaticString, int i: Int) {
        self.key(key)
        int(i)
    }

    mutating func object(_ body: (inout Self) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    mutating func member(_ key: StaticString, object body: (inout Self) -> Void) {
        self.key(key)
        object(body)
    }

    mutating func member(_ key: StaticString, array body: (inout Self) -> Void) {
        self.key(key)
        beginArray()
        body(&self)
        endArray()
    }

    /// `{"Ref": id}`
    mutating func ref(_ id: String) {
        object { $0.member("Ref", id) }
    }

    /// `{"Fn::GetAtt": [id, attribute]}`
    mutating func getAtt(_ id: String, _ attribute: StaticString) {
        object {
            $0.member("Fn::GetAtt", array: {
                $0.string(id)
                $0.literal(attribute)
            })
        }
    }
}

/// A stack of flags, one per open container: the innermost 64 in the bits of one word (templates
/// nest far less), deeper ones in an array.
struct FlagStack {
    private var bits: UInt64 = 0
    private(set) var count = 0
    private var deeper: [Bool] = []

    var isEmpty: Bool { count == 0 }

    mutating func push(_ flag: Bool) {
        if count < 64 {
            bits = flag ? bits | (1 << UInt64(count)) : bits & ~(1 << UInt64(count))
        } else {
            deeper.append(flag)
        }
        count += 1
    }

    mutating func pop() -> Bool {
        precondition(count > 0, "a container closed that was never opened")
        count -= 1
        return count < 64 ? bits & (1 << UInt64(count)) != 0 : deeper.removeLast()
    }
}

/// Writes pretty JSON as `JSONWriter.prettyBytes` does (one space a level), starting inside an object
/// whose members are `depth` levels deep: each member on its own line, separated by commas, without
/// the braces. Pieces written this way and joined with "," read the same as the object written whole.
struct PrettyJSON: JSONTextSink {
    let out: ByteSink
    private var depth: Int
    /// Whether the innermost open container has no element yet; the same for the containers around
    /// it in `outerEmpty`, innermost last (kept apart, so a separator touches no array).
    private var empty = true
    private var outerEmpty = FlagStack()
    private var afterKey = false

    init(membersAt depth: Int, capacity: Int = 1024) {
        self.depth = depth
        out = ByteSink(capacity: capacity)
    }

    private mutating func separate() {
        if !empty { out.append(UInt8(ascii: ",")) }
        empty = false
        JSONWriter.newline(out, depth)
    }

    /// Before a value: array elements are separated and indented; a member's value follows its key.
    mutating func startValue() {
        if afterKey {
            afterKey = false
        } else {
            separate()
        }
    }

    mutating func key(string key: String) {
        separate()
        JSONWriter.escape(key, into: out)
        out.append(": ")
        afterKey = true
    }

    mutating func key(_ key: StaticString) {
        separate()
        JSONWriter.quote(key, into: out, then: ": ")
        afterKey = true
    }

    mutating func open(_ bracket: UInt8) {
        startValue()
        out.append(bracket)
        outerEmpty.push(empty)
        empty = true
        depth += 1
    }

    /// An empty container closes on its line (`{}`, `[]`), another on a line of its own.
    mutating func close(_ bracket: UInt8) {
        depth -= 1
        if !empty { JSONWriter.newline(out, depth) }
        empty = outerEmpty.pop()
        out.append(bracket)
    }

    mutating func value(_ v: JSONValue) {
        startValue()
        JSONWriter.writePretty(v, into: out, indent: depth)
    }
}

/// Writes compact JSON as `JSONWriter.compact` does (no whitespace at all), starting at the top level.
struct CompactJSON: JSONTextSink {
    let out: ByteSink
    /// Whether the innermost open container has no element yet (true at the top level, where no
    /// separator is written); the containers around it in `outerEmpty`, innermost last.
    private var empty = true
    private var outerEmpty = FlagStack()
    private var afterKey = false

    init(capacity: Int = 256) {
        out = ByteSink(capacity: capacity)
    }

    /// Before a value: array elements are separated by commas; a member's value follows its key.
    mutating func startValue() {
        if afterKey {
            afterKey = false
        } else if !outerEmpty.isEmpty {
            if !empty { out.append(UInt8(ascii: ",")) }
            empty = false
        }
    }

    mutating func key(string key: String) {
        startValue()
        JSONWriter.escape(key, into: out)
        out.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func key(_ key: StaticString) {
        startValue()
        JSONWriter.quote(key, into: out, then: ":")
        afterKey = true
    }

    mutating func open(_ bracket: UInt8) {
        startValue()
        out.append(bracket)
        outerEmpty.push(empty)
        empty = true
    }

    mutating func close(_ bracket: UInt8) {
        empty = outerEmpty.pop()
        out.append(bracket)
    }

    mutating func value(_ v: JSONValue) {
        startValue()
        JSONWriter.writeCompact(v, into: out)
    }
}

/// A sink that writes JSON text into a `ByteSink` (`PrettyJSON`, `CompactJSON`): strings, booleans and
/// brackets are written the same way by both; they differ in what separates a value from the one
/// before and in what opening and closing a container does besides writing its bracket.
protocol JSONTextSink: JSONSink {
    /// Where the text goes.
    var out: ByteSink { get }
    /// Writes what comes before a value: a separator, a line break and indentation, or nothing.
    mutating func startValue()
    /// Starts a value that is a container opened by `bracket`.
    mutating func open(_ bracket: UInt8)
    /// Ends the innermost container with `bracket`.
    mutating func close(_ bracket: UInt8)
}

extension JSONTextSink {
    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    /// The text written, as an array of exactly its size.
    var bytes: [UInt8] { out.bytes }

    /// The text written, as a string.
    var text: String { out.text }

    mutating func string(_ s: String) {
        startValue()
        JSONWriter.escape(s, into: out)
    }

    mutating func literal(_ s: StaticString) {
        startValue()
        JSONWriter.quote(s, into: out, then: "")
    }

    mutating func bool(_ b: Bool) {
        startValue()
        out.append(b ? "true" : "false")
    }

    mutating func int(_ i: Int) {
        startValue()
        out.append(decimal: i)
    }
}

/// Builds the `JSONValue` a renderer writes, starting inside an object: `members` are its members.
struct JSONValueBuilder: JSONSink {
    private enum Open {
        case object([(String, JSONValue)])
        case array([JSONValue])
    }

    private var open: [Open] = [.object([])]
    private var keys: [String] = []

    /// The members written at the top level.
    var members: [(String, JSONValue)] {
        guard open.count == 1, case .object(let pairs) = open[0] else { preconditionFailure("an object is still open") }
        return pairs
    }

    private mutating func add(_ v: JSONValue) {
        switch open.removeLast() {
        case .object(var pairs):
            pairs.append((keys.removeLast(), v))
            open.append(.object(pairs))
        case .array(var items):
            items.append(v)
            open.append(.array(items))
        }
    }

    mutating func key(string key: String) { keys.append(key) }
    mutating func key(_ key: StaticString) { keys.append(key.description) }
    mutating func beginObject() { open.append(.object([])) }
    mutating func beginArray() { open.append(.array([])) }

    mutating func endObject() {
        guard case .object(let pairs) = open.removeLast() else { preconditionFailure("not in an object") }
        add(.object(pairs))
    }

    mutating func endArray() {
        guard case .array(let items) = open.removeLast() else { preconditionFailure("not in an array") }
        add(.array(items))
    }

    mutating func string(_ s: String) { add(.string(s)) }
    mutating func literal(_ s: StaticString) { add(.string(s.description)) }
    mutating func bool(_ b: Bool) { add(.bool(b)) }
    mutating func int(_ i: Int) { add(.int(i)) }
    mutating func value(_ v: JSONValue) { add(v) }
}

import ECRSpec
import Foundation

/// Reads JSON documents (a previous manifest, `describe-images` output) into `JSONValue`.
/// Object keys come back sorted: readers here look keys up and never depend on their order.
public enum JSONReader {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw Failure(message: "not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")")
        }
        return convert(object)
    }

    static func convert(_ o: Any) -> JSONValue {
        switch o {
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            let d = n.doubleValue
            if d == d.rounded(), abs(d) < 9e15 { return .int(Int(d)) }
            return .double(d)
        case let a as [Any]: return .array(a.map(convert))
        case let d as [String: Any]:
            return .object(d.keys.sorted().map { ($0, convert(d[$0]!)) })
        default: return .null
        }
    }
}

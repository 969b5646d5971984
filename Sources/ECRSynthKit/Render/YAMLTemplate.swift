import ECRSpec
import YAML

/// CloudFormation templates as YAML, written by libyaml's emitter. Intrinsic functions keep their
/// long form (`Ref:`, `Fn::GetAtt:`), which CloudFormation reads in YAML as in JSON.
public enum YAMLTemplate {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        // The emitter only fails on events it cannot build, which a JSONValue never produces.
        (try? YAMLEmitter.emit(node(value))) ?? []
    }

    static func node(_ v: JSONValue) -> EmitNode {
        switch v {
        case .string(let s): .string(s)
        case .int(let i): .literal(String(i))
        case .double(let d): .literal(String(d))
        case .bool(let b): .literal(b ? "true" : "false")
        case .null: .literal("null")
        case .array(let items): .sequence(items.map(node))
        case .object(let pairs): .mapping(pairs.map { ($0.0, node($0.1)) })
        }
    }
}

import ECRSpec
@testable import ECRSynthKit
import Foundation
import Testing

/// Every policy document synth writes is standalone IAM JSON that names only real actions, and
/// grants `ecr:GetAuthorizationToken` only on "*" and repository actions only on repositories.
@Suite struct PolicyDocumentTests {
    static let documents: [String] = {
        let root = Fixtures.root.appendingPathComponent("synth")
        var out: [String] = []
        for name in Fixtures.names("synth", directories: true) {
            for path in Fixtures.tree(root.appendingPathComponent("\(name)/expected")).keys where path.hasPrefix("policies/") {
                out.append("\(name)/expected/\(path)")
            }
        }
        return out.sorted()
    }()

    static let otherActions: Set<String> = ["sns:Publish", "sqs:SendMessage", "lambda:InvokeFunction", "events:PutEvents"]

    @Test func thereAreDocuments() {
        #expect(Self.documents.count >= 10)
    }

    @Test(arguments: documents)
    func document(_ path: String) throws {
        let data = try Data(contentsOf: Fixtures.root.appendingPathComponent("synth/\(path)"))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(doc["Version"] as? String == "2012-10-17")
        let statements = try #require(doc["Statement"] as? [[String: Any]])
        #expect(!statements.isEmpty)
        let repositoryActions = Set(ECRActions.repository.map { "ecr:" + $0 })
        for s in statements {
            #expect(["Allow", "Deny"].contains(s["Effect"] as? String))
            let actions = (s["Action"] as? [String]) ?? [(s["Action"] as? String) ?? "<none>"]
            let resources = (s["Resource"] as? [String]) ?? (s["Resource"] as? String).map { [$0] } ?? []
            for a in actions {
                if a == "ecr:GetAuthorizationToken" {
                    #expect(resources == ["*"], "\(path): the token action only works on *")
                    #expect(actions.count == 1, "\(path): the token action stands in its own statement")
                } else if a.hasPrefix("ecr:") {
                    let name = String(a.dropFirst(4))
                    #expect(!ECRActions.matches(name, in: ECRActions.repository).isEmpty || repositoryActions.contains(a),
                            "\(path): \(a) is not a repository action")
                    for r in resources {
                        #expect(r.contains(":ecr:") && r.contains(":repository/"), "\(path): \(a) on \(r)")
                    }
                } else {
                    #expect(Self.otherActions.contains(a), "\(path): unexpected action \(a)")
                }
            }
        }
    }
}

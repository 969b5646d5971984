import ArgumentParser
import ECRSynthKit
#if canImport(Glibc)
import Glibc
#endif

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter ecrsynth.yaml that validates and synthesizes as is.",
        discussion: """
            PATH defaults to ./ecrsynth.yaml; a directory gets an ecrsynth.yaml inside it. An existing file is \
            left alone (exit 1) unless --force is given.
            """
    )

    @Argument(help: "Where to write the spec.")
    var path: String = "ecrsynth.yaml"

    @Flag(help: "Replace the file if it exists.")
    var force = false

    func run() throws {
        var target = path
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR {
            target = (path.hasSuffix("/") ? path : path + "/") + "ecrsynth.yaml"
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        let fd = open(target, flags, 0o644)
        if fd < 0 {
            let e = errno
            if e == EEXIST {
                Terminal.err("ecrsynth: error: \(target) already exists; use --force to replace it\n")
                throw ExitCode(1)
            }
            Terminal.err("\(target): error: cannot write the spec: \(String(cString: strerror(e)))\n")
            throw ExitCode(74)
        }
        var bytes = Array(starterSpec.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let e = errno
                close(fd)
                Terminal.err("\(target): error: cannot write the spec: \(String(cString: strerror(e)))\n")
                throw ExitCode(74)
            }
            bytes = bytes.dropFirst(n)
        }
        close(fd)
        Terminal.out("""
            wrote \(target); next:
              ecrsynth validate \(target)
              ecrsynth explain \(target)
              ecrsynth synth \(target) -o ecrsynth.out

            """)
    }
}

/// The spec `ecrsynth init` writes: valid, without warnings, and commented so that each part
/// says what it does and where it is documented.
let starterSpec = """
    # yaml-language-server: $schema=./ecrsynth.schema.json
    # The line above gives completion and checks while you type in editors that use the YAML language
    # server (VS Code's YAML extension, Neovim, Helix, ...). Write the schema next to this file with:
    #   ecrsynth schema > ecrsynth.schema.json
    #
    # An ecrsynth spec: ECR repositories in, a CloudFormation template and IAM policy files out.
    # Every key is described in docs/spec.md. Then:
    #   ecrsynth validate ecrsynth.yaml                  # problems, with line and column
    #   ecrsynth explain ecrsynth.yaml                   # what the spec does, in words
    #   ecrsynth synth ecrsynth.yaml -o ecrsynth.out     # the template, policies/ and manifest.json
    version: 1

    stack:
      name: ContainerRegistry          # the stack to deploy; the template is ContainerRegistry.template.json
      description: ECR repositories
      # With env, the files under policies/ name concrete ARNs (and grants to roles need it to avoid a warning):
      # env: {account: "123456789012", region: eu-west-1}
      tags:
        managed-by: ecrsynth           # on every repository and event rule

    defaults:                          # what every repository gets unless it sets the key itself
      imageScanOnPush: true            # scan each image for vulnerabilities when it is pushed
      imageTagMutability: IMMUTABLE    # a tag always names the same image
      lifecycleRules:                  # numbered for you; ECR applies the lowest priority first
        - description: keep the 20 newest release images
          tagPrefixList: [release]
          maxImageCount: 20
        - description: expire untagged images after a week
          tagStatus: untagged
          maxImageAge: 7 days
        - description: expire every other image 90 days after its push
          maxImageAge: 90d

    repositories:
      - repositoryName: team/app       # lowercase; its id (and logical ID) derives from it: TeamApp
        # id: App                      # or keep the construct id your CDK app used, and its logical ID
        # removalPolicy: retain        # the default: the repository and its images outlive the stack
        # grants:                      # an existing role of the account may pull and push
        #   - principal: {role: ci-builder}
        #     access: pullPush
        # onImagePushed:               # an EventBridge rule; up to five target ARNs
        #   - id: Deploy
        #     imageTags: [release]
        #     targets: [arn:aws:lambda:eu-west-1:123456789012:function:deploy]

    # authorizationToken:              # who may run 'docker login' (ecr:GetAuthorizationToken)
    #   grantRead:
    #     - {role: ci-builder}

    """

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ecrsynth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ecrsynth", targets: ["ecrsynth"]),
        .library(name: "ECRSynthKit", targets: ["ECRSynthKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(
            name: "ECRSpec",
            dependencies: [
                "YAML",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "ECRSynthKit",
            dependencies: [
                "ECRSpec",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "ecrsynth",
            dependencies: [
                "ECRSynthKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // mimalloc (libmimalloc-dev) replaces glibc's malloc in the command: a run allocates and
            // frees millions of small blocks, and mimalloc does it in fewer instructions
            // (docs/performance.md).
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]
        ),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "ECRSpecTests", dependencies: ["ECRSpec"]),
        .testTarget(name: "ECRSynthKitTests", dependencies: ["ECRSynthKit"]),
        .testTarget(name: "CLITests", dependencies: ["ECRSynthKit"]),
        .testTarget(name: "PreviewTests", dependencies: ["ECRSynthKit"]),
    ]
)

// ---------------------------------------------------------------------------------------------------
// ecrsynth-fuzz: the libFuzzer harness (Sources/ecrsynth-fuzz, docs/hostile-input.md). `make fuzz` builds
// it in .build-fuzz with -c release -sanitize=fuzzer,address -DECRSYNTH_FUZZ_DRIVER; in the normal build it links
// without libFuzzer and runs the files it is given through the harness once (FuzzRegressionTests uses that).
package.targets.append(
    .executableTarget(
        name: "ecrsynth-fuzz",
        dependencies: ["ECRSynthKit", "ECRSpec", "YAML"],
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
)

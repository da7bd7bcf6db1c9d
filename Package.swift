// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
        .executable(name: "warden-demo-engine", targets: ["warden-demo-engine"]),
        .library(name: "WardenKit", targets: ["WardenKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.0"),
        // Already in the graph through Hummingbird; named for the HTTP client (CappedFetch).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // bcrypt verification of the `web.basic_auth_users` hashes.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    ],
    targets: [
        // Linux process plumbing that Swift cannot express safely: fork/exec with a new process group,
        // the orphan guard, wait-status decoding.
        .target(name: "CWardenSys", linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m")]),
        .target(
            name: "WardenKit",
            dependencies: [
                "CWardenSys",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .executableTarget(
            name: "warden",
            dependencies: [
                "WardenKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "warden-demo-engine",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Figures for benchmarks/run: the check cycle at scale and log-rule throughput.
        .executableTarget(
            name: "warden-bench",
            dependencies: ["WardenKit", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")]
        ),
        // libFuzzer targets for every input Warden takes from outside (fuzz/run), and their replay in the tests.
        .target(name: "WardenFuzzing", dependencies: ["WardenKit"]),
        .executableTarget(name: "warden-fuzz", dependencies: ["WardenFuzzing"]),
        // The exposition fixture is read from the repository by path, not bundled.
        .testTarget(name: "WardenKitTests", dependencies: ["WardenKit", "WardenFuzzing",
                                                         .product(name: "HummingbirdBcrypt", package: "hummingbird-auth")],
                    exclude: ["Metrics/exposition.txt"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "WardenKit", "warden", "warden-demo-engine",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The freqtrade tests' fake exchange, strategy and bot config: run and copied from the repository.
            exclude: ["Freqtrade/bot"]
        ),
    ]
)

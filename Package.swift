// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "momd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "momd", targets: ["momd"]),
        .executable(name: "momd-server", targets: ["momd-server"]),
        .library(name: "MoMCore", targets: ["MoMCore"]),
        .library(name: "MoMStore", targets: ["MoMStore"]),
        .library(name: "MoMStorePostgres", targets: ["MoMStorePostgres"]),
        .library(name: "MoMAPI", targets: ["MoMAPI"]),
        .library(name: "MoMServer", targets: ["MoMServer"]),
        .library(name: "MoMAsk", targets: ["MoMAsk"]),
        .library(name: "MoMBench", targets: ["MoMBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        .systemLibrary(name: "CMalloc"),
        .target(name: "CKernels"),
        .target(name: "MoMCore", dependencies: ["CKernels"]),
        .target(name: "MoMAsk", dependencies: ["MoMCore"]),
        .target(name: "MoMBench", dependencies: ["MoMCore", "MoMAsk", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "MoMStore",
            dependencies: [
                "MoMCore",
                "CKernels",
                "CLZ4",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "MoMStorePostgres",
            dependencies: [
                "MoMCore",
                "MoMStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // MoMBench for the reach `bench capacity` measured, which a document summary carries.
        .target(name: "MoMAPI", dependencies: ["MoMCore", "MoMAsk", "MoMStore", "MoMBench"]),
        .target(
            name: "MoMServer",
            dependencies: [
                "MoMCore",
                "MoMAsk",
                "MoMStore",
                "MoMAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web page (GET /), compiled into the binary so it serves offline.
            resources: [.embedInCode("Web/index.html"), .embedInCode("Web/app.css"), .embedInCode("Web/app.js")]
        ),
        .target(
            name: "MoMCLI",
            dependencies: [
                "MoMCore",
                "MoMAsk",
                "MoMBench",
                "MoMStore",
                "MoMAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The command-line binary: the commands on a database file, without the daemon's
        // libraries; it hands `serve`, `bench`, PostgreSQL and a daemon's database to momd-server.
        .executableTarget(
            name: "momd",
            dependencies: [
                "MoMAPI",
                "MoMCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "momd-server",
            dependencies: [
                "MoMCore",
                "MoMAsk",
                "MoMBench",
                "MoMStore",
                "MoMStorePostgres",
                "MoMAPI",
                "MoMServer",
                "MoMCLI",
                .target(name: "CMalloc", condition: .when(platforms: [.linux])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "MoMCoreTests", dependencies: ["MoMCore"]),
        .testTarget(name: "MoMAskTests", dependencies: ["MoMAsk", "MoMBench"]),
        .testTarget(name: "MoMBenchTests", dependencies: ["MoMBench"]),
        .testTarget(name: "MoMStoreTests", dependencies: ["MoMStore", "MoMStorePostgres", "MoMBench"]),
        .testTarget(
            name: "MoMServerTests",
            dependencies: [
                "MoMServer",
                "MoMBench",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "momdTests", dependencies: ["momd", "momd-server", "MoMAPI"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "yibao-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "YibaoCrypto", targets: ["YibaoCrypto"]),
        .library(name: "YibaoVectors", targets: ["YibaoVectors"]),
        .library(name: "YibaoCore", targets: ["YibaoCore"]),
        .library(name: "YibaoStore", targets: ["YibaoStore"]),
        .library(name: "YibaoServices", targets: ["YibaoServices"]),
        .library(name: "YibaoGateway", targets: ["YibaoGateway"]),
        .library(name: "YibaoClient", targets: ["YibaoClient"]),
        .library(name: "YibaoConformance", targets: ["YibaoConformance"]),
        .library(name: "YibaoDevKit", targets: ["YibaoDevKit"]),
        .executable(name: "yibao", targets: ["yibao"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // The system OpenSSL 3 (libssl-dev), found through pkg-config, plus small C shims for macros.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev", "pkg-config"])]
        ),
        // The system zlib (zlib1g-dev): raw inflate and CRC-32 for the zip files of FSI 9101/9102.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Zip archives as real HIS code exchanges them (9101 uploads, 9102 downloads): read stored and
        // deflated entries, write stored ones. No I/O.
        .target(
            name: "YibaoArchive",
            dependencies: ["CZlib"]
        ),
        // SM2 signing and verification on the curve itself (64-bit Montgomery arithmetic, a comb
        // for the generator and per registered key, constant-time where a private scalar is used):
        // several times faster than OpenSSL 3.0's generic elliptic-curve code. Pure C, no I/O.
        .target(
            name: "CSM2"
        ),
        // Swift API over OpenSSL: SM2/SM3/SM4, ECDSA P-256, RSA, X.509, the HSE envelope.
        .target(
            name: "YibaoCrypto",
            dependencies: ["COpenSSL", "CSM2"]
        ),
        // Runs the language-neutral vectors in vectors/ against YibaoCrypto.
        .target(
            name: "YibaoVectors",
            dependencies: ["YibaoCrypto", "YibaoCore"]
        ),
        // Domain rules only, no I/O: persons, e-vouchers and tokens, institutions and their
        // agreements, practitioners, working-day calendars, the rule ids of docs/RULES.md.
        .target(
            name: "YibaoCore",
            dependencies: ["YibaoCrypto"]
        ),
        // Persistence behind an async protocol, filled by SQLite (GRDB, WAL; the embedded default)
        // and PostgreSQL (postgres-nio; several gateway processes on one database), migrations for
        // both, and the append-only hash-chained trace.
        .target(
            name: "YibaoStore",
            dependencies: [
                "YibaoCore",
                "YibaoCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The use cases: each FSI transaction and HSE service once — load what it needs from the
        // store, decide by the rules of YibaoCore, apply the writes, in the caller's one transaction.
        // No HTTP, no envelopes, no dialects' wire forms (docs/ARCHITECTURE.md).
        .target(
            name: "YibaoServices",
            dependencies: ["YibaoCore", "YibaoCrypto", "YibaoStore", "YibaoArchive"]
        ),
        // The reference platform: Hummingbird routes for the FSI and HSE envelopes, the admin API,
        // sandboxes, the OpenAPI document and the web console (server-rendered with swift-mustache).
        .target(
            name: "YibaoGateway",
            dependencies: [
                "YibaoCore",
                "YibaoStore",
                "YibaoServices",
                "YibaoCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The OpenAPI 3.1 document served at /openapi.json (docs/openapi.json is the same file).
            resources: [.copy("OpenAPI/openapi.json")]
        ),
        // Typed async client: seals requests, opens and verifies responses.
        .target(
            name: "YibaoClient",
            dependencies: [
                "YibaoCore",
                "YibaoCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The conformance tester: the case catalogue, the active suites (gateway, callback-receiver,
        // prescription-receiver), the five report formats and the sample hospital-side receivers.
        .target(
            name: "YibaoConformance",
            dependencies: [
                "YibaoCore",
                "YibaoCrypto",
                "YibaoClient",
                "YibaoArchive",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Catalogue/catalogue.json"), .copy("Catalogue/rules.json")]
        ),
        // The dev workspace's set-up: a gateway from certs/, fixtures/, policies/ and profiles/ —
        // shared by the `yibao` tool and the tests, so no test imports the executable.
        .target(
            name: "YibaoDevKit",
            dependencies: ["YibaoCore", "YibaoCrypto", "YibaoStore", "YibaoServices", "YibaoGateway", "YibaoClient"]
        ),
        // The `yibao` command-line tool.
        .executableTarget(
            name: "yibao",
            dependencies: [
                "YibaoDevKit",
                "YibaoCrypto",
                "YibaoVectors",
                "YibaoCore",
                "YibaoStore",
                "YibaoServices",
                "YibaoGateway",
                "YibaoClient",
                "YibaoConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Shared by the test targets: the checkout's paths, child processes (yibao serve, the
        // round-robin proxy, Python cross-checks), fresh SQLite and PostgreSQL databases.
        .target(
            name: "YibaoTestSupport",
            dependencies: ["YibaoStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/YibaoTestSupport"
        ),
        .testTarget(
            name: "YibaoCryptoTests",
            dependencies: ["YibaoCrypto", "YibaoVectors", "YibaoTestSupport", "yibao"]
        ),
        .testTarget(
            name: "YibaoConformanceTests",
            dependencies: ["YibaoConformance", "YibaoClient", "YibaoCore", "YibaoCrypto", "YibaoTestSupport"]
        ),
        .testTarget(
            name: "YibaoCoreTests",
            dependencies: ["YibaoCore", "YibaoCrypto"]
        ),
        .testTarget(
            name: "YibaoGatewayTests",
            dependencies: [
                // `yibao` only so the binary the end-to-end tests run is built first; no test imports it.
                "YibaoCore", "YibaoStore", "YibaoServices", "YibaoArchive", "YibaoGateway", "YibaoClient", "YibaoCrypto", "YibaoConformance", "YibaoDevKit", "yibao",
                "YibaoTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

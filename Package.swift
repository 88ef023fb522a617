// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "yibao-gateway",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "YibaoCrypto", targets: ["YibaoCrypto"]),
        .library(name: "YibaoVectors", targets: ["YibaoVectors"]),
        .executable(name: "yibao", targets: ["yibao"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The system OpenSSL 3 (libssl-dev), found through pkg-config, plus small C shims for macros.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev", "pkg-config"])]
        ),
        // Swift API over OpenSSL: SM2/SM3/SM4, ECDSA P-256, RSA, X.509, the HSE envelope.
        .target(
            name: "YibaoCrypto",
            dependencies: ["COpenSSL"]
        ),
        // Runs the language-neutral vectors in vectors/ against YibaoCrypto.
        .target(
            name: "YibaoVectors",
            dependencies: ["YibaoCrypto"]
        ),
        // The `yibao` command-line tool.
        .executableTarget(
            name: "yibao",
            dependencies: [
                "YibaoCrypto",
                "YibaoVectors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "YibaoCryptoTests",
            dependencies: ["YibaoCrypto", "YibaoVectors", "yibao"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

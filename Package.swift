// swift-tools-version:6.0
// hongbao — a multi-merchant gateway for WeChat Pay cash red packets.
// Layout and dependency direction: ../shared/DESIGN.md §2.
import PackageDescription

let package = Package(
    name: "hongbao",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hongbao", targets: ["hongbao"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Transport", dependencies: [
            "CCurl",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "WeChatPay", dependencies: [
            "Transport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Merchants", dependencies: [
            "WeChatPay", "Transport", "Postgres",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Gateway", dependencies: [
            "Merchants", "Postgres", "WeChatPay", "Transport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "API", dependencies: [
            "Gateway", "Merchants", "Postgres",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Simulator", dependencies: [
            "WeChatPay",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "hongbao", dependencies: [
            "API", "Gateway", "Simulator", "Merchants", "Postgres", "Transport", "WeChatPay",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "TestSupport", dependencies: [
            "Postgres", "Simulator", "Transport", "WeChatPay", "Merchants", "Gateway", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "WeChatPayTests", dependencies: ["WeChatPay", "Transport", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Simulator", "WeChatPay", "TestSupport"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Transport", "WeChatPay", "TestSupport"]),
        .testTarget(name: "MerchantsTests", dependencies: ["Merchants", "Simulator", "Postgres", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: [
            "Gateway", "Merchants", "Simulator", "Postgres", "WeChatPay", "Transport", "TestSupport",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "APITests", dependencies: [
            "API", "Merchants", "Postgres", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

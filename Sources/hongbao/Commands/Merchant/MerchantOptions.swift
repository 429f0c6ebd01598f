import ArgumentParser
import Foundation
import Merchants

/// Where the merchants are.
struct MerchantOptions: ParsableArguments {
    @Option(name: .customLong("merchants"), help: ArgumentHelp("The merchants directory.", valueName: "dir"))
    var directory: String = ProcessInfo.processInfo.environment["HONGBAO_MERCHANTS_DIR"] ?? "merchants.d"

    var url: URL { URL(fileURLWithPath: directory) }

    func loader() -> MerchantLoader { MerchantLoader(directory: url) }

    /// Loads every entity or fails naming each file and field.
    func load() throws -> [any MerchantConfig] {
        do { return try loader().load() } catch { throw CLIError(error.description) }
    }

    func find(_ name: String) throws -> any MerchantConfig {
        guard let merchant = try load().first(where: { $0.name == name }) else {
            throw CLIError("no merchant named \(name) in \(directory)")
        }
        return merchant
    }
}

/// Who is acting, for the audit trail.
struct ActorOption: ParsableArguments {
    @Option(help: "Who is acting (recorded in the audit trail).")
    var actor: String = "cli:" + (ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
}

import ArgumentParser

struct MerchantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merchant",
        abstract: "Onboard, inspect, check and switch merchant entities (merchants.d).",
        discussion: """
            Entities are TOML files in the merchants directory: ./merchants.d unless \
            --merchants DIR or HONGBAO_MERCHANTS_DIR says otherwise. Enable/disable state \
            lives in the database so every gateway instance agrees.

            Examples:
              hongbao merchant list
              hongbao merchant check acme-sh
              hongbao merchant disable acme-sh --reason "balance audit"
            """,
        subcommands: [MerchantListCommand.self, MerchantShowCommand.self, MerchantCheckCommand.self, MerchantAddCommand.self,
                      MerchantEnableCommand.self, MerchantDisableCommand.self, MerchantReloadCommand.self, MerchantImportP12Command.self]
    )
}

import Assembly
import Logging
import WeChatPay

/// The gateway a command works through, built by the composition root (`Gateway.with`)
/// from the command's flags and closed when `body` ends; a merchants directory that does
/// not load or a database that cannot be reached is said as the command's error.
func withGateway<T>(_ settings: GatewaySettings, database: DatabaseOptions, merchants: MerchantOptions,
                    observer: (@Sendable (UpstreamCall) -> Void)? = nil, logger: Logger, _ body: (Gateway) async throws -> T) async throws -> T {
    do {
        return try await Gateway.with(settings, database: database.configuration(), merchants: merchants.loader(), observer: observer, logger: logger,
                                      body)
    } catch let failure as Gateway.OpenFailure {
        throw CLIError(failure.description)
    }
}

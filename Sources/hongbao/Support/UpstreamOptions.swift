import ArgumentParser
import Transport

/// Calls to WeChat, for every command that makes them.
struct UpstreamOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Timeout of one call to WeChat, in milliseconds.", valueName: "ms"))
    var upstreamTimeoutMs: Int = Environment.int("HONGBAO_UPSTREAM_TIMEOUT_MS") ?? 10_000

    func validate() throws {
        guard (100...120_000).contains(upstreamTimeoutMs) else { throw ValidationError("--upstream-timeout-ms must be between 100 and 120000") }
    }

    func client() -> HTTPSClient { HTTPSClient(settings: TransportSettings(totalTimeout: .milliseconds(upstreamTimeoutMs))) }
}

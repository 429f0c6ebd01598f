import ArgumentParser
import Foundation
import Merchants
import Transport
import WeChatPay

struct MerchantCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Prove an entity end to end before it takes traffic.",
        discussion: """
            Step by step: certificate and key parse and match, days to expiry, TLS handshake \
            with the client certificate, signature key and calling IP — the last by asking \
            gethbinfo for a billno that cannot exist and expecting NOT_FOUND. No money moves. \
            Exits non-zero when a step fails, naming the fix.

            Example:
              hongbao merchant check acme-sh
            """)

    @OptionGroup var merchants: MerchantOptions
    @Argument(help: "The entity's name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let merchant = try merchants.find(name)
        let transport = HTTPSClient()
        defer { transport.shutdown() }
        let steps = await MerchantCheck(client: WeChatPayClient(transport: transport)).run(merchant)
        if json {
            try Output.printJSON(steps)
        } else {
            for step in steps {
                print("\(step.ok ? "✓" : "✗") \(step.name): \(step.detail)")
                if let fix = step.fix, !step.ok { print("    fix: \(fix)") }
            }
        }
        if steps.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }
}

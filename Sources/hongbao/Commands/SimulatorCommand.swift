import ArgumentParser
import Foundation
import Logging
import Simulator

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "The WeChat Pay v2 simulator: serve it, or register merchants.d in it.",
        discussion: """
            Serves sendredpack, sendgroupredpack, sendminiprogramhb, gethbinfo, \
            promotion/transfers and gettransferinfo over HTTPS on --listen. A client \
            certificate issued by the simulator's CA is required and must belong to the \
            request's mch_id. Clients verify the server against <state-dir>/ca.pem (also \
            served at GET /_sim/ca.pem).

            Control API (plain HTTP, JSON) on --control:
              POST   /_sim/accounts                   create/update a merchant; returns api_key, cert_pem, key_pem
              GET    /_sim/accounts/{mch_id}          one merchant as WeChat sees it
              GET    /_sim/ca.pem                     the CA certificate
              GET    /_sim/ledger                     every account, packet and transfer, to the fen
              GET    /_sim/clock, POST /_sim/clock    {"advance_seconds": 86400}
              POST   /_sim/redpacks/{mch_id}/{billno}/receive
              POST   /_sim/faults                     {"latency_ms","drop_before_commit","drop_after_commit",
                                                       "systemerror","http_500","garbage","rate"}
              DELETE /_sim/faults

            Example:
              hongbao simulator --listen 127.0.0.1:9443 --control 127.0.0.1:9080 --state-dir .hongbao/sim
            """,
        subcommands: [SimulatorServeCommand.self, SimulatorRegisterCommand.self],
        defaultSubcommand: SimulatorServeCommand.self
    )
}

struct SimulatorServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the WeChat Pay v2 simulator (HTTPS endpoints + control API) — the default.",
        discussion: "See `hongbao simulator --help` for the endpoints and the control API."
    )

    @Option(help: ArgumentHelp("HTTPS address for the WeChat endpoints.", valueName: "host:port")) var listen = "127.0.0.1:9443"
    @Option(help: ArgumentHelp("Plain-HTTP address for the control API.", valueName: "host:port")) var control = "127.0.0.1:9080"
    @Option(help: ArgumentHelp("Directory for the CA, certificates and ledger (created if missing).", valueName: "dir"))
    var stateDir = ".hongbao/sim"

    func validate() throws {
        _ = try Self.address(listen, "--listen")
        _ = try Self.address(control, "--control")
    }

    static func address(_ text: String, _ flag: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              colon != text.startIndex else {
            throw ValidationError("\(flag) must be host:port, e.g. 127.0.0.1:9443")
        }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        JSONLogHandler.bootstrap()
        let (host, port) = try Self.address(listen, "--listen")
        let (controlHost, controlPort) = try Self.address(control, "--control")
        let server = try SimulatorServer(configuration: SimulatorConfiguration(
            host: host, port: port, controlHost: controlHost, controlPort: controlPort,
            stateDirectory: URL(fileURLWithPath: stateDir)))
        try await server.run(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

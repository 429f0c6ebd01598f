import ArgumentParser

struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run the WeChat Pay v2 simulator (placeholder)."
    )
    func run() async throws { throw CLIError("not built yet") }
}

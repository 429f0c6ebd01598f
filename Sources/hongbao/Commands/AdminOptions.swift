import API
import ArgumentParser
import Foundation
import Merchants
import Transport

/// `serve`'s operator dashboard switch: /admin is on only when a token is configured.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp("File holding the operator dashboard's token (mode 0600, at least 16 characters); turns /admin on. "
                               + "Else HONGBAO_ADMIN_TOKEN; with neither, /admin is off (404).", valueName: "path"))
    var adminTokenFile: String?

    /// nil: no token configured, the dashboard stays off.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AdminSettings? {
        let reference: SecretReference
        if let file = adminTokenFile {
            reference = .file(file)
        } else if let value = environment["HONGBAO_ADMIN_TOKEN"], !value.isEmpty {
            reference = .environment("HONGBAO_ADMIN_TOKEN")
        } else {
            return nil
        }
        do {
            let token = try reference.resolve(relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), environment: environment)
            return try AdminSettings(token: token)
        } catch let error as SecretUnavailable {
            throw CLIError("admin token (\(reference.location)): \(error.reason)")
        } catch {
            throw CLIError("admin token (\(reference.location)): \(error)")
        }
    }
}

import ArgumentParser
import Foundation

struct MerchantImportP12Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-p12",
        abstract: "Convert WeChat's apiclient_cert.p12 into PEM certificate and key files.",
        discussion: """
            Writes apiclient_cert.pem and apiclient_key.pem (mode 0600) into --out. The \
            password defaults to the merchant id, as WeChat issues it. WeChat's p12 encrypts \
            with RC2-40, which OpenSSL 3 reads only through its legacy provider; this \
            command retries with -legacy when the first attempt says the algorithm is \
            unsupported. Needs the `openssl` command.

            Example:
              hongbao merchant import-p12 apiclient_cert.p12 --mch-id 1900000109 --out /etc/hongbao/acme
            """)

    @Argument(help: "The .p12 file.") var file: String
    @Option(help: "Directory for the PEM files (created if missing).") var out: String
    @Option(help: "The merchant id (the p12's default password).") var mchId: String?
    @Option(help: "Environment variable holding the password, when it is not the merchant id.") var passwordEnv: String?
    @Flag(help: "Print JSON: {\"certificate\", \"private_key\"} (the files written).") var json = false

    struct Written: Encodable {
        let certificate: String
        let privateKey: String
        enum CodingKeys: String, CodingKey { case certificate, privateKey = "private_key" }
    }

    func validate() throws {
        if mchId == nil && passwordEnv == nil { throw ValidationError("give --mch-id (the default password) or --password-env") }
    }

    func run() async throws {
        let password: String
        if let passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[passwordEnv] else { throw CLIError("environment variable \(passwordEnv) is not set") }
            password = value
        } else {
            password = mchId!
        }
        guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError("cannot read \(file)") }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let certPath = URL(fileURLWithPath: out).appendingPathComponent("apiclient_cert.pem").path
        let keyPath = URL(fileURLWithPath: out).appendingPathComponent("apiclient_key.pem").path
        try extract(["-clcerts", "-nokeys", "-out", certPath], password: password)
        // Create the key file 0600 before anything is written into it.
        guard FileManager.default.createFile(atPath: keyPath, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot create \(keyPath)")
        }
        try extract(["-nocerts", "-nodes", "-out", keyPath], password: password)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        if json { return try Output.printJSON(Written(certificate: certPath, privateKey: keyPath)) }
        print("wrote \(certPath) and \(keyPath) (0600)")
    }

    /// Runs `openssl pkcs12`, retrying with the legacy provider for RC2-40 files.
    func extract(_ arguments: [String], password: String) throws {
        var result = try openssl(arguments, password: password, legacy: false)
        if result.status != 0, result.error.contains("unsupported") || result.error.contains("RC2") {
            result = try openssl(arguments, password: password, legacy: true)
            if result.status != 0, result.error.contains("unsupported") {
                throw CLIError("this p12 uses RC2-40 and OpenSSL's legacy provider is not available; install it or convert with `openssl pkcs12 -legacy` elsewhere")
            }
        }
        guard result.status == 0 else {
            let reason = result.error.contains("mac verify failure") || result.error.contains("invalid password") ? "wrong password" : result.error
            throw CLIError("openssl could not read \(file): \(reason)")
        }
    }

    func openssl(_ arguments: [String], password: String, legacy: Bool) throws -> (status: Int32, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The password goes through the environment, never the command line (ps would show it).
        process.arguments = ["openssl", "pkcs12", "-in", file, "-passin", "env:HONGBAO_P12_PASSWORD"] + (legacy ? ["-legacy"] : []) + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HONGBAO_P12_PASSWORD"] = password
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw CLIError("cannot run openssl: \(error)") }
        let errorData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errorData, as: UTF8.self))
    }
}

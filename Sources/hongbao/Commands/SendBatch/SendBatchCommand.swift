import ArgumentParser
import Foundation
import Payouts
import WeChatPay
import Merchants
import Transport
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

struct SendBatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-batch",
        abstract: "Send a red packet to every openid in a file, through the tenant API; resumable, each line paid once.",
        discussion: """
            FILE is one openid per line (TXT), or CSV when it ends in .csv (or with --format csv): \
            openid,amount_fen,wishing,remark — all but openid optional, defaulting to --amount, \
            --wishing, --remark. Amounts are whole fen (100 = 1 yuan); "1.50" is refused, never \
            read as yuan. A first row naming the columns (openid,amount_fen,…) is a header. Blank \
            lines and lines starting with # are skipped.

            Every line is checked first with the API's own field rules; a bad line stops the run \
            before anything is sent (--dry-run lists them all by line number). Each line's \
            Idempotency-Key is batch-<first 16 hex of the file's SHA-256>-<line number>, so \
            running the same file again — after Ctrl-C, a crash or a network failure — replays \
            what the gateway recorded and never pays a line twice. Editing the file makes it a \
            new batch: put corrections in a new file. Ctrl-C stops starting lines, lets those \
            in flight finish, writes the results and exits 130; a second Ctrl-C quits at once.

            429 and 503 are retried after their Retry-After (up to --max-retry-wait; a longer \
            one, such as a daily limit, leaves the line not_sent for a later rerun), lost \
            answers and 5xx with the same key; a spent daily budget, a refused key or an \
            unreachable gateway stops the batch. Results go to FILE.results.csv as lines \
            complete (line, openid, idempotency_key, payout_id, status, error_code, \
            error_message). The API key comes from --api-key-file (mode 0600) or HONGBAO_API_KEY, \
            never from the command line, and is never printed. See docs/send-batch.md.

            Exit codes: 0 every line sent or accepted (sent, received, accepted, sending, \
            unknown); 1 some line failed, was refused or not sent, or the file has invalid lines; \
            2 usage or configuration error (the argument parser's own errors, e.g. an unknown \
            flag, exit 64); 130 interrupted.

            Examples:
              hongbao send-batch openids.txt --dry-run --appid wx8888888888888888 --amount 100 --act-name 新年 --wishing 恭喜发财 --remark 春节活动
              HONGBAO_API_KEY=hb_test_… hongbao send-batch openids.txt --appid wx8888888888888888 --amount 100 --act-name 新年 --wishing 恭喜发财 --remark 春节活动
              hongbao send-batch winners.csv --appid wx8888888888888888 --act-name 新年 --wishing 恭喜发财 --remark 春节活动 --api-key-file ~/.hongbao/key --gateway https://hongbao.example.com --concurrency 8
            """)

    @Argument(help: "The file: one openid per line, or CSV (openid,amount_fen,wishing,remark).") var file: String?
    @Option(help: "The appid (official account or mini program) the openids belong to.") var appid: String?
    @Option(help: ArgumentHelp("Fen per red packet (100 = 1 yuan): required for TXT, the default for CSV rows without one.", valueName: "fen"))
    var amount: String?
    @Option(help: "The campaign name (act_name, at most 32 characters).") var actName: String?
    @Option(help: "The blessing (at most 128 characters): required for TXT, the default for CSV rows without one.") var wishing: String?
    @Option(help: "The remark (at most 256 characters): required for TXT, the default for CSV rows without one.") var remark: String?
    @Option(help: "Requests in flight at once (1–64).") var concurrency = 4
    @Option(help: "txt or csv (default: csv for a .csv file, else txt).") var format: BatchFormat?
    @Option(help: ArgumentHelp("The gateway's base URL (default: $HONGBAO_GATEWAY_URL, else http://127.0.0.1:8080).", valueName: "url"))
    var gateway: String?
    @Option(help: ArgumentHelp("A file (mode 0600) holding the tenant's API key (default: $HONGBAO_API_KEY).", valueName: "path"))
    var apiKeyFile: String?
    @Option(help: ArgumentHelp("Where to write the results CSV (default: FILE.results.csv).", valueName: "path")) var results: String?
    @Option(help: ArgumentHelp("The longest Retry-After to wait for, in seconds.", valueName: "seconds")) var maxRetryWait = 120
    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds")) var progressInterval = 2.0
    @Flag(help: "Check every line and list the bad ones by number; send nothing (no API key needed).") var dryRun = false
    @Flag(help: "Print the summary as JSON on stdout.") var json = false
    @Flag(help: .hidden) var reportPeakMemory = false

    static let defaultGateway = "http://127.0.0.1:8080"
    static let gatewayVariable = "HONGBAO_GATEWAY_URL"

    /// The options, checked before anything is read or sent.
    struct Settings {
        let path: String
        let format: BatchFormat
        let defaults: BatchDefaults
        let gateway: String
        let results: String
    }

    func settings() throws -> Settings {
        guard let path = file else { throw CLIError("give the FILE to send (see hongbao send-batch --help)") }
        guard let appid else { throw CLIError("--appid is required: the appid the openids belong to") }
        guard let actName else { throw CLIError("--act-name is required: the campaign name") }
        let format = format ?? BatchFormat.guess(path: path)
        var amountFen: Int64?
        if let amount {
            switch BatchAmount.fen(amount) {
            case .success(let fen): amountFen = fen
            case .failure(let error): throw CLIError("--amount \(error.message)")
            }
        }
        if format == .txt {
            let missing = [("--amount", amount), ("--wishing", wishing), ("--remark", remark)].filter { $0.1 == nil }.map(\.0)
            if !missing.isEmpty {
                throw CLIError("a file of openids needs \(missing.joined(separator: ", ")) (a CSV file may carry amount_fen, wishing and remark per row)")
            }
        }
        // The options against the API's rules once, rather than as the same problem on every line.
        let sample = PayoutOrder(kind: .normal, appID: appid, openID: "o", amountFen: amountFen ?? RedPacketFieldRules.plainAmountFen.lowerBound,
                                 wishing: wishing ?? "w", actName: actName, remark: remark ?? "r")
        let flags = ["appid": "--appid", "act_name": "--act-name", "wishing": "--wishing", "remark": "--remark", "amount_fen": "--amount"]
        if let problem = PayoutOrderRules.problems(sample).first(where: { flags[$0.field] != nil }) {
            throw CLIError("\(flags[problem.field]!) \(problem.message)")
        }
        guard (1...64).contains(concurrency) else { throw CLIError("--concurrency must be 1–64") }
        guard maxRetryWait >= 0 else { throw CLIError("--max-retry-wait must be 0 or more seconds") }
        guard progressInterval >= 0.05 else { throw CLIError("--progress-interval must be at least 0.05 seconds") }
        let gateway = try Self.gatewayURL(gateway ?? ProcessInfo.processInfo.environment[Self.gatewayVariable] ?? Self.defaultGateway)
        return Settings(path: path, format: format,
                        defaults: BatchDefaults(appID: appid, amountFen: amountFen, actName: actName, wishing: wishing, remark: remark),
                        gateway: gateway, results: results ?? path + ".results.csv")
    }

    static func gatewayURL(_ text: String) throws -> String {
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil else {
            throw CLIError("the gateway URL \(text) is not an http(s) URL like https://hongbao.example.com")
        }
        // It is printed in progress and summaries, so it must not carry a password.
        guard url.user == nil, url.password == nil else {
            throw CLIError("the gateway URL must not hold credentials; the API key goes in --api-key-file or HONGBAO_API_KEY")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    func run() async throws {
        // Checked here rather than in validate(): ArgumentParser runs validate() for
        // `hongbao help send-batch` too, and a usage error here must exit 2, not 64.
        let settings: Settings
        do { settings = try self.settings() } catch let error as CLIError { throw usage(error.description) }
        let started = ContinuousClock.now
        let file: BatchFile
        do { file = try BatchFile(path: settings.path) } catch { throw usage("\(error)") }

        // Pass 1: hash every byte and check every line, before anything is sent.
        let check = BatchFeed(reader: try file.lines(), parser: BatchLineParser(format: settings.format, defaults: settings.defaults))
        var valid = 0, invalid = 0
        var first: [String] = []
        let listEveryProblem = dryRun && !json
        while true {
            let slice = try await check.next(4096)
            if slice.isEmpty { break }
            for parsed in slice {
                switch parsed {
                case .entry: valid += 1
                case .invalid(let problem):
                    invalid += 1
                    if listEveryProblem { print(problem.lines.joined(separator: "\n")) } else if first.count < (dryRun ? 1000 : 5) { first += problem.lines }
                case .skipped: break
                }
            }
        }
        let (digest, bytes, lines) = await check.digest()
        let sha256 = digest.map { String(format: "%02x", $0) }.joined()
        let batchID = "batch-" + sha256.prefix(16)
        func summary(_ counts: BatchTally.Counts?, interrupted: Bool = false, stopped: BatchStop? = nil, exitCode: Int32) -> BatchSummary {
            BatchSummary(file: settings.path, sha256: sha256, batch: batchID, dryRun: dryRun, lines: lines, valid: valid, invalid: invalid,
                         started: counts?.started ?? 0, outcomes: counts.map(BatchSummary.rows) ?? [], results: counts == nil ? nil : settings.results,
                         interrupted: interrupted, stopped: stopped?.message, exitCode: exitCode,
                         elapsedSeconds: Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000, problems: dryRun && json ? first : nil)
        }

        if dryRun {
            let report = summary(nil, exitCode: invalid > 0 ? 1 : 0)
            if json { try Output.printJSON(report) } else { report.printTable() }
            return try finish(report.exitCode)
        }
        guard invalid == 0 else {
            let more = invalid > first.count ? "\n  …" : ""
            FileHandle.standardError.write(Data("""
                Error: \(invalid) of \(valid + invalid) lines are invalid, so nothing was sent. The first:
                  \(first.joined(separator: "\n  "))\(more)
                List them all with the same command and --dry-run; fix the file, then send it.

                """.utf8))
            return try finish(1)
        }
        if let previous = BatchResultsWriter.batchID(ofExisting: settings.results), previous != batchID {
            throw usage("""
                \(settings.results) holds the results of \(previous), but \(settings.path) is now \(batchID): the file changed \
                since that run, and lines sent then would be sent again under new keys. To send this file as a new batch anyway, \
                move \(settings.results) away or pass --results elsewhere.
                """)
        }
        let (apiKey, mode) = try loadKey()
        if mode == .live, settings.gateway.lowercased().hasPrefix("http://"), !Self.isLoopback(settings.gateway) {
            throw usage("refusing to send a live API key over plain http to \(settings.gateway); use https")
        }
        guard file.size == bytes else { throw CLIError("\(settings.path) changed while it was being checked; run again") }

        // Pass 2: send.
        let tally = BatchTally(total: valid)
        let control = BatchControl()
        let progress = BatchProgress(tally: tally, interval: .milliseconds(Int(progressInterval * 1000)))
        let writer: BatchResultsWriter
        do { writer = try BatchResultsWriter(path: settings.results) } catch { throw usage("\(error)") }
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task {
            for await _ in signals {
                if control.interrupt() {
                    progress.note("interrupted: finishing the requests in flight, then writing the results (Ctrl-C again to quit now)")
                } else {
                    progress.note("interrupted again: quitting now; rerun the same command to resume")
                    Glibc.exit(130)
                }
            }
        }
        let http = HTTPSClient(settings: TransportSettings(connectTimeout: .seconds(5), totalTimeout: .seconds(60),
                                                           userAgent: "hongbao-send-batch/\(Hongbao.version)", maximumCachedConnections: concurrency * 2))
        let sender = BatchSender(http: http, gateway: settings.gateway, apiKey: apiKey, batchID: batchID,
                                 policy: BatchRetryPolicy(maximumWait: .seconds(maxRetryWait)), control: control, tally: tally)
        progress.note("sending \(valid) lines of \(settings.path) to \(settings.gateway) (keys \(batchID)-<line>, concurrency \(concurrency))")
        progress.start()
        let feed = BatchFeed(reader: try file.lines(), parser: BatchLineParser(format: settings.format, defaults: settings.defaults))
        let readAll = await BatchDispatcher(feed: feed, sender: sender, concurrency: concurrency, control: control, tally: tally, results: writer,
                                            progress: progress).run()
        if readAll, await feed.digest().sha256 != digest {
            control.stop(BatchStop(message: "\(settings.path) changed while it was being sent; check the results before sending it again", exitCode: 1))
        }
        let flushed: Error?
        do { try await writer.flush(); flushed = nil } catch { flushed = error }
        progress.finish()
        http.shutdown()
        watcher.cancel()

        let counts = tally.snapshot
        let stop = control.stopReason ?? flushed.map { BatchStop(message: "\($0)", exitCode: 1) }
        let exitCode: Int32 = control.interrupted ? 130 : stop?.exitCode ?? (counts.count(.failed) > 0 ? 1 : 0)
        let report = summary(counts, interrupted: control.interrupted, stopped: stop, exitCode: exitCode)
        if json { try Output.printJSON(report) } else { report.printTable() }
        try finish(exitCode)
    }

    private func loadKey() throws -> (key: Secret, mode: MerchantMode) {
        do { return try BatchAPIKey.load(file: apiKeyFile) } catch let error as CLIError { throw usage(error.description) }
    }

    static func isLoopback(_ gateway: String) -> Bool {
        guard let host = URL(string: gateway)?.host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// A usage or configuration error: one line on stderr, exit 2.
    private func usage(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return ExitCode(2)
    }

    /// Reports peak memory when asked (tests bound it), then exits with `code`.
    private func finish(_ code: Int32) throws {
        if reportPeakMemory, let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
            FileHandle.standardError.write(Data("peak memory: \(line.dropFirst(6).trimmingCharacters(in: .whitespaces))\n".utf8))
        }
        if code != 0 { throw ExitCode(code) }
    }
}

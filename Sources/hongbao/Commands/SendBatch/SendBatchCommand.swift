import ArgumentParser
import BatchClient
import Foundation

/// The file formats as the argument parser reads `--format`.
extension BatchFormat: ExpressibleByArgument {}

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

            With --campaign ID, every line is one packet of that campaign: it sets the appid, \
            the wording and the amount (fixed, or drawn per line and kept across reruns), and \
            its budget and per-user cap hold; a line the campaign refuses (budget spent, cap \
            reached, paused) is rejected with campaign_refused. --appid, --amount, --act-name, \
            --wishing and --remark are refused with it, as are CSV amount_fen, wishing and remark. \
            Its keys are its own (the batch id also hashes the campaign's id), so one file may go \
            through several campaigns.

            Exit codes: 0 every line sent or accepted (sent, received, accepted, sending, \
            unknown); 1 some line failed, was refused or not sent, or the file has invalid lines; \
            2 usage or configuration error (the argument parser's own errors, e.g. an unknown \
            flag, exit 64); 130 interrupted.

            Examples:
              hongbao send-batch openids.txt --dry-run --appid wx8888888888888888 --amount 100 --act-name 新年 --wishing 恭喜发财 --remark 春节活动
              HONGBAO_API_KEY=hb_test_… hongbao send-batch openids.txt --appid wx8888888888888888 --amount 100 --act-name 新年 --wishing 恭喜发财 --remark 春节活动
              hongbao send-batch winners.txt --campaign 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10
              hongbao send-batch winners.csv --appid wx8888888888888888 --act-name 新年 --wishing 恭喜发财 --remark 春节活动 --api-key-file ~/.hongbao/key --gateway https://hongbao.example.com --concurrency 8
            """)

    @Argument(help: "The file: one openid per line, or CSV (openid,amount_fen,wishing,remark).") var file: String?
    @Option(help: "The appid (official account or mini program) the openids belong to.") var appid: String?
    @Option(help: ArgumentHelp("Fen per red packet (100 = 1 yuan): required for TXT, the default for CSV rows without one.", valueName: "fen"))
    var amount: String?
    @Option(help: "The campaign name (act_name, at most 32 characters).") var actName: String?
    @Option(help: "The blessing (at most 128 characters): required for TXT, the default for CSV rows without one.") var wishing: String?
    @Option(help: "The remark (at most 256 characters): required for TXT, the default for CSV rows without one.") var remark: String?
    @Option(help: ArgumentHelp("A campaign's id: every line is one packet of it (its appid, wording and amount; the file gives openids).",
                               valueName: "id"))
    var campaign: String?
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

    /// The parsed flags, for the library to check and run.
    var options: BatchOptions {
        var options = BatchOptions()
        options.file = file
        options.appid = appid
        options.amount = amount
        options.actName = actName
        options.wishing = wishing
        options.remark = remark
        options.campaign = campaign
        options.concurrency = concurrency
        options.format = format
        options.gateway = gateway
        options.apiKeyFile = apiKeyFile
        options.results = results
        options.maxRetryWait = maxRetryWait
        options.progressInterval = progressInterval
        options.dryRun = dryRun
        options.json = json
        return options
    }

    func run() async throws {
        // The options are checked in the run rather than in validate(): ArgumentParser runs
        // validate() for `hongbao help send-batch` too, and a usage error here must exit 2, not 64.
        let ending: BatchRun.Ending
        do {
            ending = try await BatchRun(options: options, userAgent: "hongbao-send-batch/\(Hongbao.version)").run()
        } catch let error as BatchError {
            switch error.kind {
            case .usage: throw usage(error.description)
            case .failure: throw CLIError(error.description)
            }
        }
        switch ending {
        case .finished(let report):
            if json { try Output.printJSON(report) } else { report.printTable() }
            try finish(report.exitCode)
        case .invalidFile:
            try finish(1)
        }
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

import Crypto
import Foundation
import Merchants
import Transport
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// One run of send-batch: pass 1 hashes every byte and checks every line before anything
/// is sent; pass 2 sends the same descriptor's lines, each once under its own
/// Idempotency-Key, and writes the results as they complete. The command prints what
/// `run` returns and exits with its code.
public struct BatchRun: Sendable {
    /// How a run ends.
    public enum Ending: Sendable {
        /// A dry run, or a send: the summary to print; its `exitCode` is the command's.
        case finished(BatchSummary)
        /// Some lines are invalid, so nothing was sent (said on stderr): exit 1.
        case invalidFile
    }

    let options: BatchOptions
    let userAgent: String

    /// `userAgent` goes with every request (`hongbao-send-batch/<version>`).
    public init(options: BatchOptions, userAgent: String) {
        self.options = options
        self.userAgent = userAgent
    }

    /// Throws a `BatchError` of kind `.usage` for what the person running it must fix.
    public func run() async throws -> Ending {
        let settings = try options.settings()
        let (dryRun, json, concurrency) = (options.dryRun, options.json, options.concurrency)
        let started = ContinuousClock.now
        let file: BatchFile
        do { file = try BatchFile(path: settings.path) } catch { throw BatchError.usage("\(error)") }

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
        let sha256 = Self.hex(digest)
        // A campaign's batch is its own: the same file sent through another campaign gets other keys.
        let batchID = "batch-" + (settings.defaults.campaign.map { Self.hex(SHA256.hash(data: Data((sha256 + "\n" + $0.uuidString.lowercased()).utf8))) }
            ?? sha256).prefix(16)
        func summary(_ counts: BatchTally.Counts?, interrupted: Bool = false, stopped: BatchStop? = nil, exitCode: Int32) -> BatchSummary {
            BatchSummary(file: settings.path, sha256: sha256, batch: batchID, dryRun: dryRun, lines: lines, valid: valid, invalid: invalid,
                         started: counts?.started ?? 0, outcomes: counts.map(BatchSummary.rows) ?? [], results: counts == nil ? nil : settings.results,
                         interrupted: interrupted, stopped: stopped?.message, exitCode: exitCode,
                         elapsedSeconds: Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000, problems: dryRun && json ? first : nil)
        }

        if dryRun { return .finished(summary(nil, exitCode: invalid > 0 ? 1 : 0)) }
        guard invalid == 0 else {
            let more = invalid > first.count ? "\n  …" : ""
            FileHandle.standardError.write(Data("""
                Error: \(invalid) of \(valid + invalid) lines are invalid, so nothing was sent. The first:
                  \(first.joined(separator: "\n  "))\(more)
                List them all with the same command and --dry-run; fix the file, then send it.

                """.utf8))
            return .invalidFile
        }
        if let previous = BatchResultsWriter.batchID(ofExisting: settings.results), previous != batchID {
            throw BatchError.usage("""
                \(settings.results) holds the results of \(previous), but \(settings.path) is now \(batchID): the file (or its \
                --campaign) changed since that run, and lines sent then would be sent again under new keys. To send this file as a new batch anyway, \
                move \(settings.results) away or pass --results elsewhere.
                """)
        }
        let apiKey: (key: Secret, mode: MerchantMode)
        do { apiKey = try BatchAPIKey.load(file: options.apiKeyFile) } catch { throw BatchError.usage("\(error)") }
        if apiKey.mode == .live, settings.gateway.lowercased().hasPrefix("http://"), !Self.isLoopback(settings.gateway) {
            throw BatchError.usage("refusing to send a live API key over plain http to \(settings.gateway); use https")
        }
        guard file.size == bytes else { throw BatchError("\(settings.path) changed while it was being checked; run again") }

        // Pass 2: send.
        let tally = BatchTally(total: valid)
        let control = BatchControl()
        let progress = BatchProgress(tally: tally, interval: .milliseconds(Int(options.progressInterval * 1000)))
        let writer: BatchResultsWriter
        do { writer = try BatchResultsWriter(path: settings.results) } catch { throw BatchError.usage("\(error)") }
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
                                                           userAgent: userAgent, maximumCachedConnections: concurrency * 2))
        let sender = BatchSender(http: http, gateway: settings.gateway, apiKey: apiKey.key, batchID: batchID,
                                 policy: BatchRetryPolicy(maximumWait: .seconds(options.maxRetryWait)), control: control, tally: tally)
        progress.note("sending \(valid) lines of \(settings.path) to \(settings.gateway) (keys \(batchID)-<line>, concurrency \(concurrency))")
        progress.start()
        let feed = BatchFeed(reader: try file.lines(), parser: BatchLineParser(format: settings.format, defaults: settings.defaults))
        let readAll = await BatchDispatcher(feed: feed, sender: sender, concurrency: concurrency, control: control, tally: tally, results: writer,
                                            progress: progress).run()
        if readAll, await feed.digest().sha256 != digest {
            control.stop(BatchStop(message: "\(settings.path) changed while it was being sent; check the results before sending it again", exitCode: 1))
        }
        // The readers read `file`'s descriptor: it stays open until both passes are done.
        withExtendedLifetime(file) {}
        let flushed: Error?
        do { try await writer.flush(); flushed = nil } catch { flushed = error }
        progress.finish()
        http.shutdown()
        watcher.cancel()

        let counts = tally.snapshot
        let stop = control.stopReason ?? flushed.map { BatchStop(message: "\($0)", exitCode: 1) }
        let exitCode: Int32 = control.interrupted ? 130 : stop?.exitCode ?? (counts.count(.failed) > 0 ? 1 : 0)
        return .finished(summary(counts, interrupted: control.interrupted, stopped: stop, exitCode: exitCode))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    static func isLoopback(_ gateway: String) -> Bool {
        guard let host = URL(string: gateway)?.host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

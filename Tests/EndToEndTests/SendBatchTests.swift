import Campaigns
import Foundation
import Payouts
import Merchants
import Postgres
import Simulator
import Tenants
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `hongbao send-batch` as a tenant runs it: the built binary, a real `hongbao serve` on a
/// migrated database, the simulator over mTLS behind it, a test-mode API key in the
/// environment. What was paid is read from the simulator's ledger, never from the command.
@Suite("send-batch", .serialized)
struct SendBatchTests {
    static let appid = GatewayHarness.appID
    static let options = ["--appid", appid, "--act-name", "新年", "--wishing", "恭喜发财", "--remark", "batch test"]

    @Test("--dry-run lists every bad line by number with its field and why, exits 1 and sends nothing; a real run refuses the file")
    func dryRunReportsBadLines() async throws {
        try await SendBatchRig.with("sbdry") { rig in
            let file = try rig.write("winners.csv", """
                openid,amount_fen,wishing,remark
                oGood1,100,,
                bad openid!,100
                oGood2,1.50

                oGood3,50
                oGood4,100,"\(String(repeating: "福", count: 129))"
                # a comment
                oGood5,100,w,r,extra
                oGood6,,w,r
                oGood7,20000,"恭喜, 发财",备注

                """)
            let dry = try await rig.sendBatch([file, "--dry-run"] + Self.options)
            #expect(dry.status == 1, "\(dry.err)")
            let reported = dry.out.split(separator: "\n").filter { $0.hasPrefix("line ") }.map(String.init)
            #expect(reported == [
                "line 3: openid: must be 1–32 letters and digits (or - _)",
                "line 4: amount_fen: must be whole fen (100 = 1 yuan), not \"1.50\": amounts are never read as yuan",
                "line 6: amount_fen: must be 100–20000 fen (1–200 yuan) without a scene_id",
                "line 7: wishing: must be at most 128 characters",
                "line 9: line: has 5 fields, at most 4 expected (openid, amount_fen, wishing, remark); quote a field that contains a comma",
                "line 10: amount_fen: is missing: give it in the file or with --amount",
            ], "\(dry.out)")
            #expect(Self.count(dry.out, "valid") == 2 && Self.count(dry.out, "invalid") == 6 && Self.count(dry.out, "total") == 8, "\(dry.out)")

            let json = try await rig.sendBatch([file, "--dry-run", "--json"] + Self.options)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
            #expect(json.status == 1 && summary["valid"] as? Int == 2 && summary["invalid"] as? Int == 6 && summary["lines"] as? Int == 11)
            #expect((summary["problems"] as? [String])?.first == "line 3: openid: must be 1–32 letters and digits (or - _)")

            let live = try await rig.sendBatch([file] + Self.options)
            #expect(live.status == 1, "\(live.err)")
            #expect(live.err.contains("6 of 8 lines are invalid, so nothing was sent") && live.err.contains("line 3: openid:")
                    && live.err.contains("--dry-run"), "\(live.err)")
            #expect(!FileManager.default.fileExists(atPath: file + ".results.csv"), "no results: nothing started")

            #expect(try await rig.sim.ledger().packets.isEmpty, "the simulator paid nothing")
            #expect(try await rig.payoutCount() == 0, "the gateway recorded nothing")
            for run in [dry, json, live] { #expect(!run.out.contains(rig.apiKey) && !run.err.contains(rig.apiKey)) }
        }
    }

    @Test("a run pays every line once through hongbao serve: results CSV rows by line, the summary by outcome, a limit's line left not_sent")
    func fullRun() async throws {
        // Two packets per user a day: the third line for oRepeat is refused with 429 until tomorrow.
        try await SendBatchRig.with("sbfull", limits: "{ per_user_per_day = 2 }") { rig in
            var expected: [String: Int64] = [:]
            var rows = ["openid,amount_fen,wishing,remark"]
            for i in 1...8 {
                expected["oBatchFull\(i)"] = 100 + Int64(i) * 10
                rows.append("oBatchFull\(i),\(100 + i * 10),\"恭喜, 第\(i)名\",r\(i)")
            }
            rows += ["oRepeat,300", "oRepeat,300", "oRepeat,300"] // lines 10, 11, 12
            let file = try rig.write("full.csv", rows.joined(separator: "\n") + "\n")
            let run = try await rig.sendBatch([file, "--json", "--max-retry-wait", "0"] + Self.options)
            #expect(run.status == 1, "one line was not sent: \(run.err)")

            let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], "\(run.out)\n\(run.err)")
            let outcomes = try #require(summary["outcomes"] as? [[String: Any]])
            let table = outcomes.map { "\($0["status"] as? String ?? "?")/\($0["code"] as? String ?? "-")=\($0["lines"] as? Int ?? -1)" }
            #expect(table == ["sent/-=10", "not_sent/limits_reached=1"], "\(outcomes)")
            #expect(summary["valid"] as? Int == 11 && summary["started"] as? Int == 11 && summary["not_started"] as? Int == 0)
            #expect(summary["interrupted"] as? Bool == false && summary["exit_code"] as? Int == 1)

            let sha = try await rig.sha256(file)
            #expect(summary["sha256"] as? String == sha && summary["batch"] as? String == "batch-" + sha.prefix(16))
            let results = try rig.results(file + ".results.csv")
            #expect(results.header == ["line", "openid", "idempotency_key", "payout_id", "status", "error_code", "error_message"])
            #expect(results.rows.map { Int($0["line"]!)! }.sorted() == Array(2...12), "one row per line")
            for row in results.rows {
                #expect(row["idempotency_key"] == "batch-\(sha.prefix(16))-\(row["line"]!)")
            }
            let sent = results.rows.filter { $0["status"] == "sent" }
            #expect(sent.count == 10 && sent.allSatisfy { UUID(uuidString: $0["payout_id"]!) != nil && $0["error_code"] == "" })
            let refused = try #require(results.rows.first { $0["status"] == "not_sent" })
            #expect(refused["openid"] == "oRepeat" && refused["error_code"] == "limits_reached" && refused["payout_id"] == "")
            // The gateway's Retry-After (seconds to the next Shanghai day) was read from the answer's header.
            let retryAfter = try #require(refused["error_message"]?.split(separator: "(retry after ").last?.split(separator: " ").first.flatMap { Int($0) },
                                          "\(refused)")
            #expect((1...86_400).contains(retryAfter))

            let ledger = try await rig.sim.ledger().packets
            #expect(ledger.count == 10)
            #expect(Dictionary(grouping: ledger, by: \.openid).mapValues(\.count) == expected.mapValues { _ in 1 }.merging(["oRepeat": 2]) { $1 })
            for packet in ledger where packet.openid != "oRepeat" {
                #expect(packet.amountFen == expected[packet.openid], "\(packet.openid) got the amount of its line")
            }
            let ids = try await rig.pool.query("SELECT id FROM payouts").rows.map { try $0.decode(UUID.self).uuidString.lowercased() }
            #expect(Set(ids) == Set(sent.map { $0["payout_id"]!.lowercased() }), "the results name the gateway's payouts")
            #expect(!run.out.contains(rig.apiKey) && !run.err.contains(rig.apiKey) && !rig.gateway.log.contains(rig.apiKey))

            // The human table for the same file: a second run replays every answer.
            let again = try await rig.sendBatch([file, "--max-retry-wait", "0"] + Self.options)
            #expect(again.status == 1 && Self.count(again.out, "sent") == 10 && Self.count(again.out, "not sent: limits_reached") == 1, "\(again.out)")
            #expect(try await rig.sim.ledger().packets.count == 10, "a rerun pays nothing again")
        }
    }

    @Test("--campaign: every line one packet of the campaign, its budget holding to the fen: lines past it are rejected with campaign_refused; a rerun pays nothing again; stats agree with the ledger")
    func campaignBatch() async throws {
        try await SendBatchRig.with("sbcampaign") { rig in
            let store = CampaignStore(pool: rig.gw.appPool)
            let draft = CampaignDraft(name: "winners", appID: GatewayHarness.appID, actName: "抽奖", wishing: "恭喜中奖", remark: "r", amountMinFen: 100,
                                      amountMaxFen: 100, budgetFen: 500)
            let created = try await store.create(draft, tenant: rig.gw.caller.tenantID, mode: rig.gw.caller.mode, actor: "test")
            let campaign = try await store.apply(.activate, to: created.id, tenant: rig.gw.caller.tenantID, mode: rig.gw.caller.mode, actor: "test")
            let file = try rig.write("winners.txt", (1...8).map { "oWinner\($0)" }.joined(separator: "\n") + "\n")
            let id = campaign.id.uuidString.lowercased()

            let mixed = try await rig.sendBatch([file, "--campaign", id, "--amount", "100"])
            #expect(mixed.status == 2 && mixed.err.contains("--amount cannot be given with --campaign"), "\(mixed.err)")

            let run = try await rig.sendBatch([file, "--campaign", id, "--json", "--max-retry-wait", "0"])
            #expect(run.status == 1, "three lines were past the budget: \(run.err)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any], "\(run.out)\n\(run.err)")
            let outcomes = try #require(summary["outcomes"] as? [[String: Any]])
            let table = outcomes.map { "\($0["status"] as? String ?? "?")/\($0["code"] as? String ?? "-")=\($0["lines"] as? Int ?? -1)" }
            #expect(table == ["sent/-=5", "rejected/campaign_refused=3"], "\(outcomes)")
            let ledger = try await rig.sim.ledger().packets
            #expect(ledger.count == 5 && ledger.map(\.amountFen).reduce(0, +) == 500 && ledger.allSatisfy { $0.openid.hasPrefix("oWinner") })

            let again = try await rig.sendBatch([file, "--campaign", id, "--max-retry-wait", "0"])
            #expect(again.status == 1 && Self.count(again.out, "sent") == 5, "\(again.out)")
            #expect(try await rig.sim.ledger().packets.count == 5, "a rerun pays nothing again")
            let stats = try #require(try await store.stats(campaign.id, tenant: rig.gw.caller.tenantID, mode: rig.gw.caller.mode))
            #expect(stats.sent.count + stats.received.count == 5 && stats.sent.fen + stats.received.fen == 500 && stats.budgetLeftFen == 0)
            // `hongbao campaign stats` says the same as WeChat's ledger.
            let cli = try await Hongbao.run(["campaign", "stats", id, "--json"], environment: ["DATABASE_URL": try await TestDatabase.appURL(rig.gw.databaseURL)])
            let figures = try #require(try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [String: Any], "\(cli.err)")
            let cliFen = ((figures["sent"] as? [String: Any])?["fen"] as? Int ?? -1) + ((figures["received"] as? [String: Any])?["fen"] as? Int ?? -1)
            #expect(cliFen == Int(ledger.map(\.amountFen).reduce(0, +)) && figures["budget_left_fen"] as? Int == 0)

            // The same file through a second campaign is a batch of its own: other keys, its own packets.
            let second = try await store.create(draft, tenant: rig.gw.caller.tenantID, mode: rig.gw.caller.mode, actor: "test")
            _ = try await store.apply(.activate, to: second.id, tenant: rig.gw.caller.tenantID, mode: rig.gw.caller.mode, actor: "test")
            let other = try await rig.sendBatch([file, "--campaign", second.id.uuidString.lowercased(), "--results", file + ".second.csv", "--json",
                                                 "--max-retry-wait", "0"])
            let otherSummary = try #require(try JSONSerialization.jsonObject(with: Data(other.out.utf8)) as? [String: Any], "\(other.err)")
            #expect(otherSummary["batch"] as? String != summary["batch"] as? String)
            #expect(try await rig.sim.ledger().packets.count == 10, "five more, from the second campaign's budget")
        }
    }

    @Test("without a terminal, progress is plain lines every --progress-interval and at the end, without colour")
    func progressWithoutTerminal() async throws {
        try await SendBatchRig.with("sbprogress") { rig in
            try await rig.sim.setFaults(FaultPlan(latencyMs: 300, rate: 1)) // WeChat answers slowly: the run takes seconds
            let file = try rig.write("slow.txt", (1...12).map { "oSlow\($0)" }.joined(separator: "\n") + "\n")
            let run = try await rig.sendBatch([file, "--amount", "100", "--concurrency", "2", "--progress-interval", "0.5"] + Self.options)
            #expect(run.status == 0, "\(run.err)")
            let progress = run.err.split(separator: "\n").filter { $0.hasPrefix("progress ") }
            #expect(progress.count >= 3, "periodic lines while sending: \(run.err)")
            #expect(progress.last?.hasPrefix("progress 12/12 (100.0%)") == true && progress.last?.contains("sent 12 · pending 0 · failed 0") == true,
                    "\(run.err)")
            let done = progress.compactMap { $0.split(separator: " ")[1].split(separator: "/").first.flatMap { Int($0) } }
            #expect(done == done.sorted() && done.first! < 12, "counts grow: \(done)")
            #expect(!run.err.contains("\u{1B}") && !run.out.contains("\u{1B}"), "no colour or cursor codes off a terminal")
            #expect(run.out.contains("OUTCOME") && Self.count(run.out, "sent") == 12, "\(run.out)")
        }
    }

    @Test("on a terminal, progress is a bar redrawn in place with rate, ETA and counts, in colour")
    func progressOnTerminal() async throws {
        try await SendBatchRig.with("sbtty") { rig in
            try await rig.sim.setFaults(FaultPlan(latencyMs: 300, rate: 1))
            let file = try rig.write("tty.txt", (1...8).map { "oTerminal\($0)" }.joined(separator: "\n") + "\n")
            // script(1) gives the command a pseudo-terminal and copies what it shows.
            let command = ([Hongbao.binary.path, "send-batch", file, "--amount", "100", "--concurrency", "2"] + Self.options)
                .map { "'" + $0 + "'" }.joined(separator: " ")
            let (status, screen) = try await Shell.run(["script", "-qec", command, "/dev/null"],
                                                       environment: ["HONGBAO_API_KEY": rig.apiKey, "HONGBAO_GATEWAY_URL": rig.gateway.baseURL, "NO_COLOR": ""])
            #expect(status == 0, "\(screen)")
            let redraws = screen.components(separatedBy: "\r\u{1B}[2K[")
            #expect(redraws.count >= 3, "the bar is redrawn in place: \(screen)")
            let last = try #require(redraws.last)
            #expect(last.contains("8/8") && last.contains("/s") && last.contains("ETA 0:00") && last.contains("sent 8"), "\(last)")
            #expect(screen.contains("\u{1B}[32m"), "in colour")
            #expect(!screen.contains("progress 8/8"), "no plain lines on a terminal")
            #expect(!screen.contains(rig.apiKey))
        }
    }

    @Test("resume: a run interrupted with SIGINT finishes its in-flight lines and exits 130; the rerun pays every line exactly once, same payout ids")
    func resumeAfterInterrupt() async throws {
        try await SendBatchRig.with("sbresume") { rig in
            let openids = (1...40).map { "oResume\($0)" }
            let file = try rig.write("resume.txt", openids.joined(separator: "\n") + "\n")
            try await rig.sim.setFaults(FaultPlan(latencyMs: 250, rate: 1))
            let child = try rig.start([file, "--amount", "100", "--concurrency", "2"] + Self.options)
            var recorded = 0
            _ = try await waitFor(timeout: .seconds(20), every: .milliseconds(50)) {
                recorded = try await rig.payoutCount()
                return recorded >= 8
            }
            try #require(recorded >= 8 && recorded < 40, "interrupted mid-way (\(recorded) recorded)")
            child.signal(SIGINT)
            let first = try await child.wait()
            #expect(first.status == 130, "\(first.err)")
            #expect(first.err.contains("interrupted: finishing the requests in flight"), "\(first.err)")
            #expect(first.out.contains("not started (interrupted)") && first.out.contains("Rerun the same command to resume"), "\(first.out)")
            let firstResults = try rig.results(file + ".results.csv").rows
            #expect(firstResults.count >= 8 && firstResults.count < 40)
            #expect(firstResults.allSatisfy { $0["status"] == "sent" }, "lines in flight finished: \(firstResults.map { $0["status"]! })")

            try await rig.sim.setFaults(nil)
            let second = try await rig.sendBatch([file, "--amount", "100"] + Self.options)
            #expect(second.status == 0, "\(second.err)")
            let secondResults = try rig.results(file + ".results.csv").rows
            #expect(secondResults.map { Int($0["line"]!)! }.sorted() == Array(1...40) && secondResults.allSatisfy { $0["status"] == "sent" })
            let idByLine = Dictionary(uniqueKeysWithValues: secondResults.map { ($0["line"]!, $0["payout_id"]!) })
            for row in firstResults { #expect(idByLine[row["line"]!] == row["payout_id"]!, "line \(row["line"]!) kept its payout") }

            let ledger = try await rig.sim.ledger().packets
            #expect(ledger.count == 40 && Set(ledger.map(\.openid)) == Set(openids), "each line paid exactly once")
            #expect(try await rig.payoutCount() == 40)
            #expect(!first.out.contains(rig.apiKey) && !first.err.contains(rig.apiKey) && !second.err.contains(rig.apiKey))
        }
    }

    @Test("a 1,000,000-line file is checked in bounded memory (peak RSS under 64 MB, within 16 MB of a 1,000-line file's) and its bad lines are found by number")
    func millionLines() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-batch-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let million = directory.appendingPathComponent("million.txt").path, thousand = directory.appendingPathComponent("thousand.txt").path
        try Self.writeOpenIDs(million, count: 1_000_000, bad: [500_000, 1_000_000])
        try Self.writeOpenIDs(thousand, count: 1_000, bad: [])
        func peak(_ run: Hongbao.Run) throws -> Int {
            let line = try #require(run.err.split(separator: "\n").first { $0.hasPrefix("peak memory: ") }, "\(run.err)")
            return try #require(Int(line.dropFirst("peak memory: ".count).split(separator: " ")[0]))
        }
        let small = try await Hongbao.run(["send-batch", thousand, "--dry-run", "--amount", "100", "--report-peak-memory"] + Self.options)
        #expect(small.status == 0 && Self.count(small.out, "valid") == 1_000, "\(small.out)\(small.err)")
        let clock = ContinuousClock()
        let began = clock.now
        let run = try await Hongbao.run(["send-batch", million, "--dry-run", "--amount", "100", "--report-peak-memory"] + Self.options)
        let took = clock.now - began
        #expect(run.status == 1, "\(run.err)")
        #expect(run.out.split(separator: "\n").filter { $0.hasPrefix("line ") } == [
            "line 500000: openid: must be 1–32 letters and digits (or - _)",
            "line 1000000: openid: must be 1–32 letters and digits (or - _)",
        ])
        #expect(Self.count(run.out, "valid") == 999_998 && Self.count(run.out, "invalid") == 2 && run.out.contains("(1000000 lines"), "\(run.out)")
        let (base, big) = (try peak(small), try peak(run))
        // The file is 28 MB: holding it, or a record per line, would show in either bound.
        print("send-batch --dry-run: peak RSS \(big) kB for 1,000,000 lines (\(took)), \(base) kB for 1,000")
        #expect(big < 64 * 1024, "peak RSS \(big) kB")
        #expect(big - base < 16 * 1024, "grew \(big - base) kB from 1,000 to 1,000,000 lines")
    }

    @Test("usage and configuration errors exit 2 in one line on stderr, never echo the key; a refused key stops the batch; --help has examples and exit codes")
    func usageErrors() async throws {
        let help = try await Hongbao.run(["send-batch", "--help"])
        #expect(help.status == 0)
        for text in ["Examples:", "hongbao send-batch openids.txt --dry-run", "Exit codes", "130 interrupted", "--appid", "--amount", "--act-name",
                     "--wishing", "--remark", "--concurrency", "--dry-run", "--api-key-file", "--gateway", "--results"] {
            #expect(help.out.contains(text), "\(text)")
        }
        #expect(!help.out.contains("--report-peak-memory"))
        try await SendBatchRig.with("sbusage") { rig in
            let file = try rig.write("few.txt", "oUsage1\noUsage2\n")
            let noAppid = try await rig.sendBatch([file, "--amount", "100", "--act-name", "a", "--wishing", "w", "--remark", "r"])
            #expect(noAppid.status == 2 && noAppid.err == "Error: --appid is required: the appid the openids belong to\n", "\(noAppid.err)")
            let noAmount = try await rig.sendBatch([file] + Self.options)
            #expect(noAmount.status == 2 && noAmount.err.contains("needs --amount"), "\(noAmount.err)")
            let yuan = try await rig.sendBatch([file, "--amount", "1.5"] + Self.options)
            #expect(yuan.status == 2 && yuan.err.contains("--amount must be whole fen"), "\(yuan.err)")
            let longAct = try await rig.sendBatch([file, "--amount", "100", "--appid", Self.appid, "--act-name", String(repeating: "a", count: 33),
                                                   "--wishing", "w", "--remark", "r"])
            #expect(longAct.status == 2 && longAct.err.contains("--act-name must be at most 32 characters"), "\(longAct.err)")

            let keyFile = rig.directory.appendingPathComponent("key").path
            try rig.apiKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
            let loose = try await rig.sendBatch([file, "--amount", "100", "--api-key-file", keyFile] + Self.options, key: .some(nil))
            #expect(loose.status == 2 && loose.err.contains("chmod 600") && loose.err.split(separator: "\n").count == 1, "\(loose.err)")
            let noKey = try await rig.sendBatch([file, "--amount", "100"] + Self.options, key: .some(nil))
            #expect(noKey.status == 2 && noKey.err.contains("--api-key-file") && noKey.err.contains("HONGBAO_API_KEY"), "\(noKey.err)")
            let garbled = "hb_test_" + String(rig.apiKey.dropFirst(8).reversed())
            let malformed = try await rig.sendBatch([file, "--amount", "100"] + Self.options, key: garbled)
            #expect(malformed.status == 2 && !malformed.err.contains(garbled) && malformed.err.contains("does not hold a hongbao API key"), "\(malformed.err)")

            // A well-formed key the gateway does not know: the first answer stops the batch.
            let unknown = APIKey.generate(mode: .test).text
            let refused = try await rig.sendBatch([file, "--amount", "100", "--concurrency", "1"] + Self.options, key: unknown)
            #expect(refused.status == 2 && refused.err.contains("the gateway refused the API key (invalid_api_key)"), "\(refused.err)")
            #expect(!refused.out.contains(unknown) && !refused.err.contains(unknown))
            #expect(try await rig.sim.ledger().packets.isEmpty)
            #expect(try await rig.payoutCount() == 0)
        }
    }

    /// The count on the summary table's row `label` (the label, spaces, the count).
    static func count(_ table: String, _ label: String) -> Int? {
        for line in table.split(separator: "\n") where line.hasPrefix(label + "  ") {
            let rest = line.dropFirst(label.count)
            if rest.first == " ", rest.trimmingCharacters(in: .whitespaces).allSatisfy(\.isNumber) { return Int(rest.trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }

    /// `count` openids of 27 characters, one a line; `bad` line numbers hold a space.
    static func writeOpenIDs(_ path: String, count: Int, bad: Set<Int>) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        let digits = Array("0123456789".utf8)
        for line in 1...count {
            chunk.append(contentsOf: bad.contains(line) ? Array("oBad line".utf8) : Array("oMillion".utf8))
            var n = line
            var number = [UInt8](repeating: 0x30, count: 19)
            for index in stride(from: 18, through: 0, by: -1) where n > 0 {
                number[index] = digits[n % 10]
                n /= 10
            }
            chunk.append(contentsOf: number)
            chunk.append(0x0A)
            if chunk.count >= 1 << 20 {
                handle.write(Data(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(chunk))
    }
}

/// A gateway process for send-batch: the harness's simulator, database and tenant key,
/// served by `hongbao serve` as a tenant would reach it, and a directory for batch files.
struct SendBatchRig {
    let gw: GatewayHarness
    let gateway: GatewayProcess
    let directory: URL

    var sim: SimulatorHarness { gw.sim }
    var pool: PostgresPool { gw.pool }
    var apiKey: String { gw.apiKey }

    static func with(_ label: String, limits: String? = nil, _ body: (SendBatchRig) async throws -> Void) async throws {
        let gw = try await GatewayHarness.start(label, entities: [GatewayHarness.Entity("acme", mchId: "1900000109", limits: limits)])
        let gateway: GatewayProcess
        do {
            gateway = try await GatewayProcess(arguments: ["--merchants", gw.fixture.directory.path],
                                               environment: ["DATABASE_URL": try await TestDatabase.appURL(gw.databaseURL)])
        } catch {
            await gw.stop()
            throw error
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-batch-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let rig = SendBatchRig(gw: gw, gateway: gateway, directory: directory)
        do { try await body(rig) } catch {
            await gateway.stopped()
            await gw.stop()
            throw error
        }
        await gateway.stopped()
        await gw.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var environment: [String: String?] { ["HONGBAO_GATEWAY_URL": gateway.baseURL, "NO_COLOR": nil] }

    /// Runs `hongbao send-batch` to completion with HONGBAO_API_KEY set to the tenant's key,
    /// or to `key` (`.some(nil)`: unset).
    func sendBatch(_ arguments: [String], key: String?? = .none) async throws -> Hongbao.Run {
        var environment = environment
        environment["HONGBAO_API_KEY"] = key ?? apiKey
        return try await Hongbao.run(["send-batch"] + arguments, environment: environment)
    }

    /// Starts `hongbao send-batch` and returns it running, to be signalled.
    func start(_ arguments: [String]) throws -> BatchChild {
        var environment = ProcessInfo.processInfo.environment
        environment["HONGBAO_API_KEY"] = apiKey
        environment["HONGBAO_GATEWAY_URL"] = gateway.baseURL
        environment["DATABASE_URL"] = nil
        return try BatchChild(["send-batch"] + arguments, environment: environment, directory: directory)
    }

    func payoutCount() async throws -> Int {
        try await pool.query("SELECT count(*) FROM payouts").first!.decode(column: 0, as: Int.self)
    }

    /// The SHA-256 of a file as coreutils computes it.
    func sha256(_ path: String) async throws -> String {
        let (status, output) = try await Shell.run(["sha256sum", path])
        guard status == 0, let hash = output.split(separator: " ").first else { throw TestSetupError("sha256sum failed: \(output)") }
        return String(hash)
    }

    /// A results CSV, read with a parser of the test's own (quoted fields allowed).
    func results(_ path: String) throws -> (header: [String], rows: [[String: String]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = CSVLine.fields(try #require(lines.first))
        let rows = lines.dropFirst().map { line in Dictionary(uniqueKeysWithValues: zip(header, CSVLine.fields(line))) }
        return (header, rows)
    }
}

/// Splits one CSV line: commas outside double quotes, `""` inside them.
enum CSVLine {
    static func fields(_ line: String) -> [String] {
        var fields: [String] = [], field = "", quoted = false
        var characters = Array(line)[...]
        while let c = characters.popFirst() {
            if quoted {
                if c == "\"" {
                    if characters.first == "\"" { field.append("\""); characters = characters.dropFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(field); field = "" } else { field.append(c) }
        }
        return fields + [field]
    }
}

/// A running `hongbao` child whose output goes to files, so the test can signal it.
final class BatchChild: Sendable {
    let process: ChildProcess
    let out: URL
    let err: URL

    init(_ arguments: [String], environment: [String: String], directory: URL) throws {
        out = directory.appendingPathComponent("child-\(UUID()).out")
        err = directory.appendingPathComponent("child-\(UUID()).err")
        process = try ChildProcess([Hongbao.binary.path] + arguments, environment: environment, stdout: .file(out.path), stderr: .file(err.path))
    }

    func signal(_ signal: Int32) { process.signal(signal) }

    struct Ended {
        let status: Int32
        let out: String
        let err: String
    }

    /// Waits up to 60 s, then SIGKILL.
    func wait() async throws -> Ended {
        var status = try await process.exit(within: .seconds(60))
        if status == nil {
            process.signal(SIGKILL)
            status = try await process.exit(within: .seconds(10))
        }
        return Ended(status: status ?? ChildProcess.statusLost, out: try String(contentsOf: out, encoding: .utf8), err: try String(contentsOf: err, encoding: .utf8))
    }
}

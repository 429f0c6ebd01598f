import BatchClient
import Testing

/// The command's options, checked before a file is opened: each refusal is a usage error
/// (exit 2) in the words the command prints. Inputs and messages are literals.
@Suite("BatchOptions")
struct BatchOptionsTests {
    static func options(_ change: (inout BatchOptions) -> Void = { _ in }) -> BatchOptions {
        var options = BatchOptions()
        options.file = "openids.txt"
        options.appid = "wx8888888888888888"
        options.amount = "100"
        options.actName = "新年"
        options.wishing = "恭喜发财"
        options.remark = "备注"
        change(&options)
        return options
    }

    static func refusal(_ options: BatchOptions) -> String? {
        do {
            _ = try options.settings(environment: [:])
            return nil
        } catch {
            return error.kind == .usage ? error.description : "not a usage error: \(error.description)"
        }
    }

    @Test("good options: TXT guessed from the name, the default gateway, FILE.results.csv")
    func good() throws {
        let settings = try Self.options().settings(environment: [:])
        #expect(settings.format == .txt && settings.gateway == "http://127.0.0.1:8080" && settings.results == "openids.txt.results.csv")
        #expect(settings.defaults.amountFen == 100)
        let csv = try Self.options { $0.file = "w.CSV"; $0.amount = nil; $0.gateway = "https://hongbao.example.com/" }.settings(environment: [:])
        #expect(csv.format == .csv && csv.gateway == "https://hongbao.example.com" && csv.defaults.amountFen == nil)
        #expect(try Self.options().settings(environment: ["HONGBAO_GATEWAY_URL": "https://gw.example.com"]).gateway == "https://gw.example.com")
    }

    static let refusals: [(String, @Sendable (inout BatchOptions) -> Void)] = [
        ("give the FILE to send (see hongbao send-batch --help)", { $0.file = nil }),
        ("--appid is required: the appid the openids belong to", { $0.appid = nil }),
        ("--act-name is required: the campaign name", { $0.actName = nil }),
        ("--amount must be whole fen (100 = 1 yuan), not \"1.5\": amounts are never read as yuan", { $0.amount = "1.5" }),
        ("a file of openids needs --amount, --remark (a CSV file may carry amount_fen, wishing and remark per row)", { $0.amount = nil; $0.remark = nil }),
        ("--amount must be 100–20000 fen (1–200 yuan) without a scene_id", { $0.amount = "20001" }),
        ("--act-name must be at most 32 characters", { $0.actName = String(repeating: "新", count: 33) }),
        ("--wishing must be at most 128 characters", { $0.wishing = String(repeating: "福", count: 129) }),
        ("--concurrency must be 1–64", { $0.concurrency = 65 }),
        ("--max-retry-wait must be 0 or more seconds", { $0.maxRetryWait = -1 }),
        ("--progress-interval must be at least 0.05 seconds", { $0.progressInterval = 0.01 }),
        ("the gateway URL ftp://example.com is not an http(s) URL like https://hongbao.example.com", { $0.gateway = "ftp://example.com" }),
        ("the gateway URL must not hold credentials; the API key goes in --api-key-file or HONGBAO_API_KEY", { $0.gateway = "https://u:p@example.com" }),
    ]

    @Test("each bad option is a usage error naming its flag")
    func refused() {
        for (message, change) in Self.refusals {
            #expect(Self.refusal(Self.options(change)) == message)
        }
    }
}

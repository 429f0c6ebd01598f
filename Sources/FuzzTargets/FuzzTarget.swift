// FuzzTargets — the parsers that take bytes from outside, each as one function a fuzzer
// can call with any input (issue 20).
//
// What it owns: `FuzzTarget`, the four entry points — the WeChat XML codec and every
// answer decoder behind it, the merchant TOML loader, the send-batch line parser (TXT and
// CSV, a whole file line by line), and the tenant API's JSON request bodies
// (`RequestBodyCheck`, the server's own decoding and limits). Each runs the production code
// path on the input and returns; a thrown error is a fine answer, a crash, a hang or a
// sanitizer report is a bug.
//
// Who uses it: `hongbao-fuzz` (Sources/Fuzz: libFuzzer under `make fuzz`, or a replay of
// files), and FuzzRegressionTests, which replays the seed corpora and every crash ever
// found (fuzz/<target>/seeds, fuzz/<target>/regressions) in `make test`.
import API
import BatchClient
import Foundation
import Merchants
import WeChatPay

public enum FuzzTarget: String, CaseIterable, Sendable {
    case wechatXML = "wechat-xml"
    case merchantTOML = "merchant-toml"
    case batchLines = "batch-lines"
    case apiJSON = "api-json"

    /// Feeds one input to the production code; returns whatever that code decided.
    public func run(_ input: [UInt8]) {
        switch self {
        case .wechatXML: Self.wechatXML(input)
        case .merchantTOML: Self.merchantTOML(input)
        case .batchLines: Self.batchLines(input)
        case .apiJSON: Self.apiJSON(input)
        }
    }

    /// An answer from WeChat: decoded, then read as every answer the gateway expects.
    static func wechatXML(_ input: [UInt8]) {
        guard let document = try? WeChatXML.decode(input) else { return }
        _ = try? SendRedPack.response(from: document)
        _ = try? SendGroupRedPack.response(from: document)
        _ = try? SendMiniProgramRedPack.response(from: document)
        _ = try? QueryRedPack.response(from: document)
        _ = try? Transfer.response(from: document)
        _ = try? QueryTransfer.response(from: document)
    }

    /// A merchants.d file, loaded as if it sat alone in an empty folder (relative paths
    /// resolve there and find nothing) with no environment.
    static func merchantTOML(_ input: [UInt8]) {
        let loader = MerchantLoader(directory: emptyFolder, kinds: .standard, environment: [:])
        _ = try? loader.load(text: String(decoding: input, as: UTF8.self), as: emptyFolder.appendingPathComponent("fuzz.toml"),
                             now: Date(timeIntervalSince1970: 1_780_000_000))
    }

    /// A send-batch file: the first byte picks TXT or CSV (and a campaign batch or not), the
    /// rest is split into lines as BatchLineReader does and parsed in order by one parser.
    static func batchLines(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let format: BatchFormat = first & 1 == 0 ? .txt : .csv
        let defaults = first & 2 == 0
            ? BatchDefaults(appID: "wx8888888888888888", amountFen: 100, actName: "活动", wishing: "恭喜发财", remark: "备注")
            : BatchDefaults(campaign: UUID(uuidString: "6f1c1b1e-8a2d-4c1a-9a51-3a7e0c2b9d10")!)
        var parser = BatchLineParser(format: format, defaults: defaults)
        var number = 0
        for var line in input.dropFirst().split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if line.last == 0x0D { line = line.dropLast() }
            _ = parser.parse(BatchRawLine(number: number, bytes: Array(line)))
        }
    }

    /// A tenant API request body: the first byte picks the operation, the rest is its body.
    static func apiJSON(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let operations = RequestBodyCheck.allCases
        _ = try? operations[Int(first) % operations.count].check(Data(input.dropFirst()))
    }

    /// Never written to: the TOML target's folder, so relative paths in an input find nothing.
    static let emptyFolder = URL(fileURLWithPath: "/nonexistent/hongbao-fuzz", isDirectory: true)
}

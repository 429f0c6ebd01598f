import Foundation
import WeChatPay

/// For `hongbao bench simulator-memory`: commits packets through the ledger's real path —
/// field rules, amount and appid checks, fingerprint, the merchant's lock, limits, the
/// commit and its journal record — without HTTP, TLS or signatures, so what grows is what
/// the ledger keeps per stored packet.
public final class LedgerMemoryProbe: Sendable {
    let ledger: SimLedger
    let book: MerchantBook
    public let mchId = "1900000109"

    /// A ledger in `directory` with one qualified merchant whose limits let everything through.
    /// Blocking (replay, certificate issue): call it off the cooperative pool.
    public init(directory: URL) throws {
        ledger = try SimLedger(directory: directory, settings: JournalSettings(batchMilliseconds: 10, compactionMinimumBytes: .max))
        let ca = try SimulatorCA.generate()
        let issued = try ca.issueClient(merchantID: mchId)
        let spec = SimAccountSpec(
            mchId: mchId, appids: [.init(id: "wx8888888888888888", type: .officialAccount)], onboardedOn: BusinessDay(iso: "2020-01-01")!,
            tradingSince: BusinessDay(iso: "2020-01-01")!, balanceFen: 1 << 50,
            limits: .init(perMinute: .max, perUserPerDay: .max, minFen: 100, maxFen: 20_000, dailyFen: 1 << 50))
        _ = ledger.upsert(spec, certificate: issued, der: try SimulatorCA.der(of: issued.certificatePEM))
        book = ledger.book(mchId)!
    }

    /// Commits packets `first..<first+count` (unique 28-character billnos, 28-character
    /// openids of 10,000 users, realistic texts); returns how many were accepted.
    public func commit(first: Int, count: Int) -> Int {
        let account = book.account
        var accepted = 0
        for n in first..<(first + count) {
            let digits = String(n)
            let user = String(n % 10_000)
            let fields = [
                "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "sign": "C380BEC2BFD727A4B6845133519F3AD6",
                "mch_billno": mchId + "20261129" + String(repeating: "0", count: 10 - digits.count) + digits,
                "mch_id": mchId, "wxappid": "wx8888888888888888", "send_name": "天虹百货",
                "re_openid": "oxTWIuGaIt6gTKsQRLau" + String(repeating: "0", count: 8 - user.count) + user,
                "total_amount": String(100 + n % 900), "total_num": "1", "wishing": "恭喜发财", "client_ip": "192.168.0.1",
                "act_name": "新年红包", "remark": "感谢参与",
            ]
            if SimRules.fieldRefusal(fields, SimRules.sendRedPack) == nil,
               ledger.send(.sendRedPack, fields, book, account)["result_code"] == "SUCCESS" {
                accepted += 1
            }
        }
        return accepted
    }

    /// Packets the merchant holds now.
    public var storedPackets: Int { book.state.withLock { $0.packets.count } }

    /// Size of one stored packet record in the log (the fixed part).
    public static var recordStride: Int { MemoryLayout<PacketRecord>.stride }

    /// Stops the journal writer (blocking).
    public func close() { ledger.journal.close() }
}

import Foundation
import Merchants
@testable import Payouts
import Testing
import TestSupport
import WeChatPay

/// How the partner kind's requests name the merchant (reference §3.1, §3.5, §4.6): the
/// provider's mch_id and wxappid on the wire, the sub-merchant and msgappid named, the
/// billno as recorded.
@Suite("wechatpay.v2.partner addressing")
struct PartnerAddressingTests {
    static func subMerchant(consume: String? = nil) throws -> any MerchantConfig {
        let fixture = try MerchantFixture()
        try fixture.addPartner("sub-a", providerMchId: "1900000200", subMchId: "1900000301", msgAppID: "wx3a3a3a3a3a3a3a3a") {
            if let consume { $0["consume_mch_id"] = "\"\(consume)\"" }
        }
        return try #require(try MerchantLoader(directory: fixture.directory, environment: [:]).load().first)
    }

    /// What the engine recorded for a payout on sub-merchant 1900000301 (its billno starts with that number).
    static let recorded = RedPacketFields(billno: "1900000301202612060000000042", merchantID: "1900000301", appID: "wx3a3a3a3a3a3a3a3a",
                                          sendName: "ACME", openID: "oUser", amountFen: 150, wishing: "w", actName: "a", remark: "r")

    @Test("a send is the provider's request for the sub-merchant, and the same request every time")
    func send() throws {
        let merchant = try Self.subMerchant(consume: "1900000302")
        let wire = try WeChatPayV2PartnerAddressing().packet(Self.recorded, as: merchant)
        #expect(wire.merchantID == "1900000200" && wire.appID == "wx8888888888888888")
        #expect(wire.subMerchantID == "1900000301" && wire.messageAppID == "wx3a3a3a3a3a3a3a3a" && wire.consumeMerchantID == "1900000302")
        #expect(wire.billno == "1900000301202612060000000042" && wire.openID == "oUser" && wire.amountFen == 150)
        #expect(try WeChatPayV2PartnerAddressing().packet(Self.recorded, as: merchant) == wire, "a resend is identical")
        try SendRedPack(packet: wire, clientIP: "10.0.0.1").validate()
    }

    @Test("gethbinfo asks as the provider, with the provider's wxappid, about the recorded billno")
    func query() throws {
        let address = try WeChatPayV2PartnerAddressing().queryAddress(SendRef(mchID: "1900000301", billno: "1900000301202612060000000042"),
                                                                       appID: "wx3a3a3a3a3a3a3a3a", as: try Self.subMerchant())
        #expect(address.merchantID == "1900000200" && address.appID == "wx8888888888888888")
    }

    @Test("enterprise payment and a direct merchant are refused before anything is sent")
    func refusals() throws {
        #expect(throws: RequestInvalid.self) { try WeChatPayV2PartnerAddressing().checkTransfers(as: try Self.subMerchant()) }
        let fixture = try MerchantFixture()
        try fixture.add("direct", mchId: "1900000109")
        let direct = try #require(try MerchantLoader(directory: fixture.directory, environment: [:]).load().first)
        #expect(throws: RequestInvalid.self) { try WeChatPayV2PartnerAddressing().packet(Self.recorded, as: direct) }
    }
}

import Foundation

/// One entry of the journal: a merchant's state change, the sim clock, or a user's facts.
/// Body layout: a tag byte, then the fields (BinaryCoding). The frame around it is `Journal`'s.
enum JournalRecord: Sendable {
    case merchant(String, MerchantEvent)
    case clock(offset: Double)
    case user(String, SimUser)

    private enum Tag: UInt8 {
        case account = 1, packet, received, refunded, transfer, transferSettled, clock, user
    }

    func encode() -> [UInt8] {
        var w = BinaryWriter()
        switch self {
        case .clock(let offset):
            w.u8(Tag.clock.rawValue)
            w.f64(offset)
        case .user(let openid, let user):
            w.u8(Tag.user.rawValue)
            w.string(openid)
            user.encode(&w)
        case .merchant(let mchId, let event):
            switch event {
            case .account(let update):
                w.u8(Tag.account.rawValue)
                w.string(mchId)
                update.encode(&w)
                update.encodeSubFunding(&w)
            case .packet(let record):
                w.u8(Tag.packet.rawValue)
                w.string(mchId)
                record.encode(&w)
            case .received(let key, let at):
                w.u8(Tag.received.rawValue)
                w.string(mchId)
                w.key(key)
                w.f64(at)
            case .refunded(let key):
                w.u8(Tag.refunded.rawValue)
                w.string(mchId)
                w.key(key)
            case .transfer(let record):
                w.u8(Tag.transfer.rawValue)
                w.string(mchId)
                record.encode(&w)
            case .transferSettled(let key, let settlement, let at, let reason):
                w.u8(Tag.transferSettled.rawValue)
                w.string(mchId)
                w.key(key)
                w.u8(settlement.rawValue)
                w.f64(at)
                w.string(reason)
            }
        }
        return w.bytes
    }

    static func decode(_ body: ArraySlice<UInt8>, texts: inout PacketTexts.Cache) throws(MalformedRecord) -> JournalRecord {
        var r = BinaryReader(body)
        guard let tag = Tag(rawValue: try r.u8()) else { throw MalformedRecord(reason: "unknown journal tag") }
        switch tag {
        case .clock: return .clock(offset: try r.f64())
        case .user: return .user(try r.string(), try SimUser.decode(&r))
        case .account:
            let mchId = try r.string()
            var update = try MerchantEvent.AccountUpdate.decode(&r)
            update.subFunding = try MerchantEvent.AccountUpdate.decodeSubFunding(&r)
            return .merchant(mchId, .account(update))
        case .packet: return .merchant(try r.string(), .packet(try PacketRecord.decode(&r, texts: &texts)))
        case .received: return .merchant(try r.string(), .received(try r.key(), at: try r.f64()))
        case .refunded: return .merchant(try r.string(), .refunded(try r.key()))
        case .transfer: return .merchant(try r.string(), .transfer(try TransferRecord.decode(&r)))
        case .transferSettled:
            let mchId = try r.string(), key = try r.key()
            guard let settlement = TransferRecord.Settlement(rawValue: try r.u8()) else { throw MalformedRecord(reason: "settlement") }
            return .merchant(mchId, .transferSettled(key, settlement, at: try r.f64(), reason: try r.string()))
        }
    }
}

extension MerchantEvent.AccountUpdate {
    func encode(_ w: inout BinaryWriter) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        w.string(String(decoding: (try? encoder.encode(spec)) ?? Data(), as: UTF8.self))
        w.string(apiKey)
        w.i64(balanceFen)
        w.i64(fundedFen)
        w.varint(certificates.count)
        for pem in certificates { w.string(pem) }
    }

    static func decode(_ r: inout BinaryReader) throws(MalformedRecord) -> Self {
        let json = try r.string()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let spec = try? decoder.decode(SimAccountSpec.self, from: Data(json.utf8)) else { throw MalformedRecord(reason: "account spec") }
        let apiKey = try r.string(), balance = try r.i64(), funded = try r.i64()
        var certificates: [String] = []
        for _ in 0..<(try r.varint()) { certificates.append(try r.string()) }
        return Self(spec: spec, apiKey: apiKey, balanceFen: balance, fundedFen: funded, certificates: certificates)
    }

    /// Written after the rest of an account record (the snapshot keeps sub-merchants' money
    /// in their ledgers instead), so that records from before service providers read the same.
    func encodeSubFunding(_ w: inout BinaryWriter) {
        w.varint(subFunding.count)
        for funding in subFunding {
            w.string(funding.subMchId)
            w.i64(funding.balanceFen)
            w.i64(funding.fundedFen)
        }
    }

    static func decodeSubFunding(_ r: inout BinaryReader) throws(MalformedRecord) -> [MerchantEvent.SubFunding] {
        guard !r.isAtEnd else { return [] }
        var out: [MerchantEvent.SubFunding] = []
        for _ in 0..<(try r.varint()) {
            out.append(MerchantEvent.SubFunding(subMchId: try r.string(), balanceFen: try r.i64(), fundedFen: try r.i64()))
        }
        return out
    }
}

/// What WeChat knows about a user that sends check (control API `/_sim/users/{openid}`).
public struct SimUser: Codable, Sendable, Equatable {
    /// The real name a FORCE_CHECK transfer's re_user_name must match (none registered: no check possible, it passes).
    public var realName: String?
    /// False: the user has not completed real-name verification (V2_ACCOUNT_SIMPLE_BAN).
    public var realNameVerified: Bool?
    /// True: WeChat's risk control flagged the account; every merchant's red packets and
    /// transfers to it are refused with NO_AUTH (reference §5.1 (a)) — a refusal about the
    /// user, not the merchant.
    public var riskFlagged: Bool?

    public init(realName: String? = nil, realNameVerified: Bool? = nil, riskFlagged: Bool? = nil) {
        self.realName = realName
        self.realNameVerified = realNameVerified
        self.riskFlagged = riskFlagged
    }

    /// One byte holds both flags: verified as 0 (false), 1 (true) or 2 (unknown) in the low
    /// bits, risk-flagged as bit 2 — records written before the flag existed read the same.
    func encode(_ w: inout BinaryWriter) {
        w.bool(realName != nil)
        w.string(realName ?? "")
        w.u8((realNameVerified.map { $0 ? 1 : 0 } ?? 2) | (riskFlagged == true ? 4 : 0))
    }

    static func decode(_ r: inout BinaryReader) throws(MalformedRecord) -> SimUser {
        let hasName = try r.bool(), name = try r.string()
        let flags = try r.u8()
        let verified = flags & 3
        return SimUser(realName: hasName ? name : nil, realNameVerified: verified == 2 ? nil : verified == 1, riskFlagged: flags & 4 != 0 ? true : nil)
    }
}

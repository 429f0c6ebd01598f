import Merchants

/// Why a billno cannot be sent or asked about now: its entity is gone from merchants.d, or
/// the file now names another account at WeChat than the billno was made under.
struct EntityUnavailable: Error, Sendable {
    let reason: String
}

extension MerchantSnapshot {
    /// The entity to send or ask about a billno as: the one named on it, as long as it
    /// still presents the wire identity the billno was recorded with (migration 0018).
    /// Anyone else would be asking WeChat about somebody else's billno: it answers
    /// NOT_FOUND, and a resend or a failover would pay the user twice. So a re-pointed
    /// entity is treated like a missing one — no call, and past WeChat's window a person.
    func entity(named name: String, sentAs: String) throws(EntityUnavailable) -> any MerchantConfig {
        guard let merchant = merchant(named: name) else {
            throw EntityUnavailable(reason: "entity \(name) is not in merchants.d")
        }
        guard merchant.wireIdentity == sentAs else {
            throw EntityUnavailable(reason: "entity \(name) now sends as \"\(merchant.wireIdentity)\", but the billno was sent as \"\(sentAs)\"; "
                + "put the file back as it was until its payouts are final")
        }
        return merchant
    }
}

import Foundation
import Postgres

/// The JSON body of a delivery, built from the outbox row the engine wrote:
///
///     {"id": "evt_…", "type": "redpack.sent", "created_at": "2026-01-01T00:00:00.000Z", "mode": "test",
///      "data": {"object": "redpack", "id": "<payout id>", "status": "sent", "amount_fen": 100, "billno": "…", "merchant": "…"}}
///
/// `data` is the red packet (or transfer) as it was when the event happened (the outbox
/// payload: `payout_id` becomes `id`, amounts in fen become integers; a transfer's billno is
/// its `partner_trade_no`); GET /v1/redpacks/{id} (or /v1/transfers/{id}) has the rest and
/// the latest state. A campaign's event carries the campaign (`object` campaign, its name,
/// status, budget and what is left, and why it ended). Keys are sorted, so the same event always has the same body.
enum WebhookPayload {
    static func body(eventID: UUID, type: String, createdAt: Date, mode: String, payload: PostgresJSON) -> [UInt8] {
        let fields = (try? JSONSerialization.jsonObject(with: Data(payload.text.utf8))) as? [String: Any] ?? [:]
        let transfer = fields["kind"] as? String == "transfer"
        let campaign = fields["campaign_id"] != nil
        var data: [String: Any] = ["object": campaign ? "campaign" : transfer ? "transfer" : "redpack"]
        for (key, value) in fields where key != "event" && !(transfer && key == "kind") {
            switch (key, value) {
            case ("payout_id", _), ("campaign_id", _): data["id"] = value
            case ("billno", _) where transfer: data["partner_trade_no"] = value
            case (_, let text as String) where key.hasSuffix("_fen"): data[key] = Int64(text) ?? text
            default: data[key] = value
            }
        }
        let event: [String: Any] = ["id": "evt_" + eventID.uuidString.lowercased(), "type": type, "mode": mode,
                                    "created_at": createdAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "data": data]
        // Strings, integers and nested objects of them always serialise.
        let bytes = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(bytes)
    }
}

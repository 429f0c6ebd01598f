import Foundation
import Transport
import WeChatPay

/// Proves an entity end to end before it takes traffic: certificate and key parse and
/// match, days to expiry, TLS with the client certificate, API key and calling IP —
/// the last three by asking gethbinfo for a billno that cannot exist and expecting
/// NOT_FOUND. Each failed step names its fix.
public struct MerchantCheck: Sendable {
    public struct Step: Sendable, Equatable, Codable {
        public let name: String
        public let ok: Bool
        public let detail: String
        public let fix: String?
    }

    public let client: WeChatPayClient

    public init(client: WeChatPayClient) { self.client = client }

    /// The steps in order; the run stops at the first failure.
    public func run(_ merchant: any MerchantConfig, now: Date = Date()) async -> [Step] {
        var steps: [Step] = []
        steps.append(Step(name: "certificate and key", ok: true, detail: "parse and match (\(merchant.certificate.subject))", fix: nil))
        let days = merchant.certificate.daysToExpiry(from: now)
        steps.append(Step(name: "expiry", ok: days >= 0, detail: "\(days) days left (until \(merchant.certificate.notValidAfter.formatted(.iso8601)))",
                          fix: days < 30 ? "renew the API certificate on the merchant platform" : nil))
        guard let address = merchant.queryAddress else { return steps }
        // Its billno prefix + 19700101 + zeros: a day before any billno this gateway can make.
        let billno = String((merchant.merchantID + "19700101" + "0000000000").prefix(28))
        let outcome: CallOutcome<RedPacketInfo>
        do {
            outcome = try await client.call(QueryRedPack(billno: billno, merchantID: address.merchantID, appID: address.appID), as: merchant.credentials)
        } catch {
            steps.append(Step(name: "request", ok: false, detail: "\(error)", fix: "fix mch_id/appids in \(merchant.source.lastPathComponent)"))
            return steps
        }
        switch outcome {
        case .notSent(let reason):
            steps.append(Step(name: "TLS handshake", ok: false, detail: reason,
                              fix: "check base_url, network and ca_file; the server certificate must be trusted"))
        case .success:
            steps += Self.passed()
        case .failure(let failure):
            switch failure.code {
            case "NOT_FOUND":
                steps += Self.passed()
            case "CA_ERROR":
                steps.append(Step(name: "TLS handshake", ok: true, detail: "connected with the client certificate", fix: nil))
                steps.append(Step(name: "client certificate", ok: false, detail: "CA_ERROR: \(failure.message)",
                                  fix: "install the API certificate issued to mch_id \(merchant.credentials.merchantID) (cert/key)"))
            case "SIGN_ERROR":
                steps += [Step(name: "TLS handshake", ok: true, detail: "connected with the client certificate", fix: nil)]
                steps.append(Step(name: "signature key", ok: false, detail: "SIGN_ERROR: \(failure.message)",
                                  fix: "set api_key to the merchant's APIv2 key (account centre → API security)"))
            case "NO_AUTH":
                steps += [Step(name: "TLS handshake", ok: true, detail: "connected with the client certificate", fix: nil),
                          Step(name: "signature key", ok: true, detail: "accepted", fix: nil)]
                steps.append(Step(name: "IP whitelist and product", ok: false, detail: "NO_AUTH: \(failure.message)",
                                  fix: "whitelist this server's egress IP (\(merchant.egressIPs.joined(separator: ", "))) and enable the red packet product"))
            case ErrorCatalog.Synthetic.transportUnknown:
                steps.append(Step(name: "TLS handshake", ok: false, detail: "connection ended after sending: \(failure.message)",
                                  fix: "the server probably refused the client certificate: check cert/key belong to this merchant"))
            default:
                steps.append(Step(name: "query", ok: false, detail: "\(failure.code): \(failure.message)", fix: failure.rule.action))
            }
        }
        return steps
    }

    static func passed() -> [Step] {
        [Step(name: "TLS handshake", ok: true, detail: "connected with the client certificate", fix: nil),
         Step(name: "signature key", ok: true, detail: "accepted", fix: nil),
         Step(name: "IP whitelist and product", ok: true, detail: "gethbinfo answered NOT_FOUND for a billno that cannot exist", fix: nil)]
    }
}

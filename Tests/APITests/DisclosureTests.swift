@testable import API
import Foundation
@testable import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Merchants
import Postgres
import Testing
import TestSupport

/// What a tenant's answers reveal: only what its own key may use, never an operator's note.
@Suite("Disclosure: a 422 names only the tenant's own entities")
struct DisclosureTests {
    @Test("no eligible entity: only entities this tenant and mode may use are listed, with a reason code and no operator text")
    func noEligibleEntityNamesOnlyYours() async throws {
        let entities = [GatewayHarness.Entity("mine", mchId: "1900000801"),
                        GatewayHarness.Entity("theirs", mchId: "1900000802", tenants: ["someone-else"]),
                        GatewayHarness.Entity("livebox", mchId: "1900000803", mode: .live)]
        try await GatewayHarness.with("disclose", entities: entities) { gw in
            try await MerchantStateStore(pool: gw.appPool).setEnabled("mine", false, reason: "card expired — call Bob on +86 555 0100", actor: "ops")
            let submission = try await gw.submit(GatewayHarness.order(amountFen: 100))
            guard case .refused(let refusal) = submission else { throw TestSetupError("expected a refusal, got \(submission)") }
            let problem = TenantAPI.problem(refusal)
            let body = String(decoding: try JSONEncoder().encode(problem.body(requestID: "r")), as: UTF8.self)
            let answer = try JSONDecoder().decode(ProblemBody.self, from: Data(body.utf8))
            #expect(answer.status == 422 && answer.code == "no_eligible_merchant")
            #expect(answer.exclusions == [.init(merchant: "mine", code: "disabled", reason: "disabled by an operator")], "\(body)")
            for secret in ["theirs", "livebox", "Bob", "555", "someone-else", "card expired"] {
                #expect(!body.contains(secret), "the answer reveals \(secret): \(body)")
            }
        }
    }
}

@testable import API
import Foundation
import Payouts
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

@Suite("POST /v1/redpacks/{id}/refresh throttled")
struct RefreshThrottleAPITests {
    @Test("past the tenant's refreshes per minute the answer is 429 too_many_refreshes with Retry-After")
    func tooManyRefreshes() async throws {
        let settings = EngineSettings(deadline: .seconds(10), refresh: RefreshLimits(minimumInterval: 0, perMinute: 2))
        try await GatewayHarness.with("refresh-api", settings: settings) { gw in
            let id = try gw.payoutID(try await gw.submit(GatewayHarness.order(amountFen: 100)))
            let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
            let router = try buildRouter(dependencies: GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: CapturedLogs().logger))
            try await Application(router: router).test(.router) { client in
                var statuses: [HTTPResponse.Status] = []
                var last: TestResponse?
                for _ in 0..<3 {
                    let response = try await client.execute(uri: "/v1/redpacks/\(id.uuidString.lowercased())/refresh", method: .post,
                                                            headers: [.authorization: "Bearer \(gw.apiKey)"])
                    statuses.append(response.status)
                    last = response
                }
                let refused = try #require(last)
                #expect(statuses.contains(.tooManyRequests), "\(statuses)")
                #expect(refused.status == .tooManyRequests && (try? refused.problem().code) == "too_many_refreshes")
                #expect(Int(refused.headers[.retryAfter] ?? "").map { (1...60).contains($0) } == true)
            }
        }
    }
}

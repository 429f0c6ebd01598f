@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (e) The create operations require `Idempotency-Key` (1–255 printable ASCII);
/// `IdempotencyKeyMiddleware` checks it before decoding, and the handler gets it exactly
/// as sent.
@Suite("Idempotency-Key")
struct IdempotencyKeyTests {
    @Test("a missing Idempotency-Key is 400 missing_idempotency_key on both create operations",
          arguments: [("/v1/redpacks", TenantOrderBody.redpack()), ("/v1/group-redpacks", TenantOrderBody.groupRedpack())])
    func missing(path: String, body: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, path, body: body, idempotencyKey: nil)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "missing_idempotency_key")
        }
        #expect(fixture.orders.all.isEmpty)
    }

    @Test("a malformed Idempotency-Key is 400 invalid_idempotency_key",
          arguments: [String(repeating: "k", count: 256), "ключ", "tab\there"])
    func malformed(key: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), idempotencyKey: key)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "invalid_idempotency_key")
        }
        #expect(fixture.orders.all.isEmpty)
    }

    @Test("two Idempotency-Key headers are 400 invalid_idempotency_key")
    func twice() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(),
                                                 headers: [.init("Idempotency-Key")!: "a"])
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "invalid_idempotency_key")
        }
    }

    @Test("the key reaches the handler byte for byte (the generated code would percent-decode it)",
          arguments: [String(repeating: "k", count: 255), "50%off", "a%41+b c", "k"])
    func exact(key: String) async throws {
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks", body: TenantOrderBody.redpack(), idempotencyKey: key)
            #expect(response.status == .created)
        }
        #expect(fixture.orders.all.map(\.idempotencyKey) == [key])
    }

    @Test("operations that take no Idempotency-Key do not ask for one")
    func notRequired() async throws {
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.send(.post, "/v1/redpacks/0b6f5cf2-36f0-4c38-9d1a-1b2f3c4d5e6f/refresh", idempotencyKey: nil)
            #expect(try response.problem().code == "not_implemented")
        }
    }
}

/// Every create operation of the document, found by reading openapi.yaml itself (not the
/// generated code): the check has no gap a new route can fall into.
@Suite("Idempotency-Key on every create operation")
struct IdempotencyKeyCoverageTests {
    /// POST operations whose parameters include `IdempotencyKey`: (path, operationId).
    static func createOperations() throws -> [(path: String, operationID: String)] {
        let lines = try String(contentsOf: Repository.root.appendingPathComponent("openapi.yaml"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var found: [(String, String)] = []
        var path: String?, method: String?, operationID: String?, keyed = false
        func close() {
            if method == "post", keyed, let path, let operationID { found.append((path, operationID)) }
            method = nil; operationID = nil; keyed = false
        }
        for line in lines {
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                close()
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), ["get", "post", "put", "patch", "delete"].contains(line.trimmingCharacters(in: .whitespaces).dropLast()) {
                close()
                method = String(line.trimmingCharacters(in: .whitespaces).dropLast())
            } else if !line.hasPrefix(" "), !line.isEmpty {
                close()
                path = nil
            } else if line.contains("operationId:") {
                operationID = line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) }
            } else if line.contains("#/components/parameters/IdempotencyKey") {
                keyed = true
            }
        }
        close()
        return found
    }

    @Test("every POST operation openapi.yaml gives an Idempotency-Key refuses a key of 256 bytes with 400, before anything is decoded")
    func everyCreateOperation() async throws {
        let operations = try Self.createOperations()
        #expect(operations.map(\.operationID).sorted() == ["createGroupRedpack", "createRedpack", "createTransfer"], "\(operations)")
        #expect(Set(operations.map(\.operationID)) == IdempotencyKeyMiddleware.createOperations, "the middleware checks exactly these")
        let fixture = TenantAPIFixture()
        try await fixture.app().test(.router) { client in
            for (path, operationID) in operations {
                let uri = path.replacingOccurrences(of: "{id}", with: "0b6f5cf2-36f0-4c38-9d1a-1b2f3c4d5e6f")
                let long = try await client.send(.post, uri, body: "{}", idempotencyKey: String(repeating: "k", count: 256))
                #expect(long.status == .badRequest && (try? long.problem().code) == "invalid_idempotency_key", "\(operationID): \(long.status)")
                let missing = try await client.send(.post, uri, body: "{}", idempotencyKey: nil)
                #expect(missing.status == .badRequest && (try? missing.problem().code) == "missing_idempotency_key", "\(operationID): \(missing.status)")
            }
        }
        #expect(fixture.orders.all.isEmpty)
    }
}

import Payouts
import Tenants

/// Looks a well-formed API key up: the seam between the HTTP layer and the key store
/// (tests put a table behind it).
public protocol APIKeyVerifier: Sendable {
    /// The key's standing. Throw (e.g. `Problem(.unavailable)`) only when the store cannot answer.
    func verify(_ key: APIKey) async throws -> APIKeyVerdict
}

public enum APIKeyVerdict: Sendable, Equatable {
    case valid(Caller)
    case unknown
    case expired
    case revoked
    case tenantDisabled
}

/// Keys as `hongbao key issue` stored them (SHA-256 in PostgreSQL). Nothing is cached:
/// a revocation holds on every instance from the next request on.
struct StoredKeyVerifier: APIKeyVerifier {
    let store: APIKeyStore

    func verify(_ key: APIKey) async throws -> APIKeyVerdict {
        switch try await store.authenticate(key.text) {
        case .success(let caller): .valid(caller)
        case .failure(.revoked): .revoked
        case .failure(.expired): .expired
        case .failure(.tenantDisabled): .tenantDisabled
        case .failure(.unknown), .failure(.malformed), .failure(.missing): .unknown
        }
    }
}

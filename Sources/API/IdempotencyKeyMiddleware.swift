import HTTPTypes
import OpenAPIRuntime

/// Checks `Idempotency-Key` on the operations that require it, before the generated
/// code decodes anything: missing is 400 `missing_idempotency_key`, anything but one
/// value of 1–255 printable ASCII characters is 400 `invalid_idempotency_key`.
///
/// An OpenAPI `ServerMiddleware` rather than a Hummingbird one because it needs the
/// operation id; without it, the generated decoder's own "missing header" error
/// (an internal runtime type) would be all there is to map.
struct IdempotencyKeyMiddleware: ServerMiddleware {
    /// Operation ids that require the header (openapi.yaml's `IdempotencyKey` parameter).
    let operations: Set<String>

    /// Every operation openapi.yaml gives the `IdempotencyKey` parameter (APITests walks the
    /// document's POST routes to keep this list whole).
    static let createOperations: Set<String> = [Operations.CreateRedpack.id, Operations.CreateGroupRedpack.id, Operations.CreateTransfer.id]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if operations.contains(operationID) {
            let values = request.headerFields[values: .idempotencyKey]
            guard let key = values.first else {
                throw Problem(.missingIdempotencyKey, detail: "Send an Idempotency-Key header (1–255 printable ASCII characters) with every create request.")
            }
            guard values.count == 1, Self.isValid(key) else {
                throw Problem(.invalidIdempotencyKey, detail: "Idempotency-Key must be one value of 1–255 printable ASCII characters.")
            }
        }
        return try await next(request, body, metadata)
    }

    static func isValid(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }
}

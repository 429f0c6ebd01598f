/// The tenant API's operations: `APIProtocol`, generated from openapi.yaml.
///
/// A stub until the payout engine lands. The create operations show the patterns to
/// keep: take the context from `APIRequestContext.authenticated()`, validate the body
/// (`validate()`), hand the order to the engine (here the `send` closure), answer 201
/// when the send reached a final result and 202 otherwise, with `X-Request-Id` in the
/// typed response; refuse by throwing `Problem` (ProblemMiddleware renders it, e.g. 429
/// with `Retry-After`). Every other operation answers 501 `not_implemented`.
struct RedpackAPI: APIProtocol {
    /// A validated create request, with who sent it.
    struct Order: Sendable {
        enum Body: Sendable {
            case normal(Components.Schemas.CreateRedpackRequest)
            case group(Components.Schemas.CreateGroupRedpackRequest)
        }
        var tenant: AuthenticatedTenant
        /// Exactly as the caller sent it.
        var idempotencyKey: String
        var requestID: String
        var body: Body
    }

    /// Stands in for the payout engine: records and sends the order, returning the red
    /// packet as it stands, or throws a `Problem` (409, 422, 429, …).
    typealias Send = @Sendable (Order) async throws -> Components.Schemas.Redpack

    let send: Send

    func createRedpack(_ input: Operations.CreateRedpack.Input) async throws -> Operations.CreateRedpack.Output {
        let (context, tenant) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        try body.validate()
        let redpack = try await send(Order(tenant: tenant, idempotencyKey: try context.requiredIdempotencyKey(),
                                           requestID: context.requestID, body: .normal(body)))
        return Self.hasFinalSendResult(redpack.status)
            ? .created(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
            : .accepted(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
    }

    func createGroupRedpack(_ input: Operations.CreateGroupRedpack.Input) async throws -> Operations.CreateGroupRedpack.Output {
        let (context, tenant) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        try body.validate()
        let redpack = try await send(Order(tenant: tenant, idempotencyKey: try context.requiredIdempotencyKey(),
                                           requestID: context.requestID, body: .group(body)))
        return Self.hasFinalSendResult(redpack.status)
            ? .created(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
            : .accepted(.init(headers: .init(xRequestId: context.requestID), body: .json(redpack)))
    }

    func getRedpack(_ input: Operations.GetRedpack.Input) async throws -> Operations.GetRedpack.Output {
        throw Self.notImplemented("GET /v1/redpacks/{id}")
    }

    func listRedpacks(_ input: Operations.ListRedpacks.Input) async throws -> Operations.ListRedpacks.Output {
        throw Self.notImplemented("GET /v1/redpacks")
    }

    func refreshRedpack(_ input: Operations.RefreshRedpack.Input) async throws -> Operations.RefreshRedpack.Output {
        throw Self.notImplemented("POST /v1/redpacks/{id}/refresh")
    }

    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        throw Self.notImplemented("GET /v1/usage")
    }

    /// 201 once the send has a result (paid, or definitely not); 202 while it is not
    /// known yet and the caller should poll.
    static func hasFinalSendResult(_ status: Components.Schemas.RedpackStatus) -> Bool {
        switch status {
        case .sent, .received, .refunding, .refunded, .failed: true
        case .accepted, .sending, .unknown, .needsAttention: false
        }
    }

    static func notImplemented(_ route: String) -> Problem {
        Problem(.notImplemented, detail: "\(route) is not implemented yet.")
    }
}

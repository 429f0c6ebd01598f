import Foundation
import Payouts
import WeChatPay

/// `POST /v1/transfers` and `GET /v1/transfers/{id}`: enterprise payments through the
/// same engine, idempotency and reconciliation as red packets.
extension TenantAPI {
    func createTransfer(_ input: Operations.CreateTransfer.Input) async throws -> Operations.CreateTransfer.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        try body.validate()
        let order = PayoutOrder.transfer(appID: body.appid, openID: body.openid, amountFen: body.amountFen, description: body.description,
                                         checkName: body.checkName?.rawValue ?? "NO_CHECK", userName: body.reUserName, clientIP: body.clientIp,
                                         metadata: body.metadata?.additionalProperties)
        let submission = try await payouts.submit(order, caller: caller, idempotencyKey: try context.requiredIdempotencyKey(),
                                                  requestID: context.requestID, render: TransferRendering.render)
        let stored = try Self.answer(submission)
        let transfer = try TransferRendering.decode(stored)
        return stored.status == 201 ? .created(.init(headers: .init(xRequestId: context.requestID), body: .json(transfer)))
                                    : .accepted(.init(headers: .init(xRequestId: context.requestID), body: .json(transfer)))
    }

    func getTransfer(_ input: Operations.GetTransfer.Input) async throws -> Operations.GetTransfer.Output {
        let (context, caller) = try APIRequestContext.authenticated()
        guard let id = UUID(uuidString: input.path.id), let payout = try await payouts.payout(id, caller: caller), payout.kind == .transfer else {
            throw Problem(.notFound, detail: "No such transfer.")
        }
        return .ok(.init(headers: .init(xRequestId: context.requestID), body: .json(TransferRendering.transfer(payout))))
    }
}

extension Components.Schemas.CreateTransferRequest {
    /// openapi.yaml's limits for `POST /v1/transfers`.
    func validate() throws {
        typealias T = TransferFieldRules
        var rules = FieldRules()
        // The API takes the red packets' appid and openid lengths for transfers too (openapi.yaml).
        rules.length("appid", appid, 1...RedPacketFieldRules.appIDMaxLength)
        rules.length("openid", openid, 1...RedPacketFieldRules.openIDMaxLength)
        rules.range("amount_fen", amountFen, min: T.amountFen.lowerBound, max: T.amountFen.upperBound)
        rules.length("description", description, 1...T.descriptionMaxLength)
        rules.length("re_user_name", reUserName, 1...T.userNameMaxLength)
        rules.ipv4("client_ip", clientIp)
        rules.metadata("metadata", metadata?.additionalProperties)
        try rules.check()
    }
}

import Foundation
import Transport

/// How long and how often a line is retried.
struct BatchRetryPolicy: Sendable {
    /// The longest Retry-After worth waiting for (`--max-retry-wait`): a 429 asking for more
    /// (a daily limit) ends the line as `not_sent`, for a later rerun.
    var maximumWait: Duration = .seconds(120)
    /// Tries per line when the gateway does not answer or answers 5xx; then the batch stops.
    var transportAttempts = 6
    /// Tries per line answered 429 or 409 `idempotency_key_in_use`.
    var limitAttempts = 30

    /// 0.5 s, 1 s, 2 s, … up to 30 s.
    func backoff(_ attempt: Int) -> Duration {
        .milliseconds(min(30_000, 500 << min(max(attempt - 1, 0), 6)))
    }
}

/// Sends one line through `POST /v1/redpacks` until it has an answer worth recording.
/// Every try of a line carries the same Idempotency-Key, so a retry after a lost answer
/// replays the first request's result instead of paying again.
struct BatchSender: Sendable {
    let http: HTTPSClient
    let gateway: String
    let apiKey: Secret
    /// `batch-<first 16 hex of the file's SHA-256>`.
    let batchID: String
    let policy: BatchRetryPolicy
    let control: BatchControl
    let tally: BatchTally

    static func idempotencyKey(batchID: String, line: Int) -> String { "\(batchID)-\(line)" }

    /// Where the line ended, and a reason to stop the whole batch if every later line
    /// would end the same way.
    func send(_ entry: BatchEntry) async -> (BatchOutcome, BatchStop?) {
        let key = Self.idempotencyKey(batchID: batchID, line: entry.line)
        func outcome(_ status: String, _ code: String?, _ message: String?, payout: String? = nil) -> BatchOutcome {
            BatchOutcome(line: entry.line, openID: entry.openID, idempotencyKey: key, payoutID: payout, status: status, code: code, message: message)
        }
        let body: [UInt8]
        do { body = try Self.body(entry, batchID: batchID) } catch {
            return (outcome(BatchOutcome.notSent, "encoding", "\(error)"), nil)
        }
        let headers = ["Authorization: Bearer \(apiKey.reveal())", "Idempotency-Key: \(key)", "Accept: application/json"]
        var transportTries = 0, limitTries = 0
        // Once a try may have reached the gateway, giving up leaves the line unknown, not unsent.
        var mayHaveArrived = false
        while true {
            let (answer, retryAfter) = await http.postReportingRetryAfter(gateway + "/v1/redpacks", body: body, contentType: "application/json",
                                                                           headers: headers, timeout: nil)
            switch Self.verdict(answer, retryAfter: retryAfter, gateway: gateway, policy: policy) {
            case .done(let status, let code, let message, let payout):
                return (outcome(status, code, message, payout: payout), nil)
            case .stop(let status, let code, let message, let stop):
                return (outcome(status == BatchOutcome.notSent && mayHaveArrived ? BatchOutcome.noAnswer : status, code, message), stop)
            case .retryTransport(let code, let message, let arrived):
                mayHaveArrived = mayHaveArrived || arrived
                transportTries += 1
                guard transportTries < policy.transportAttempts else {
                    let status = mayHaveArrived ? BatchOutcome.noAnswer : BatchOutcome.notSent
                    return (outcome(status, code, message), BatchStop(
                        message: "the gateway at \(gateway) failed \(transportTries) times in a row for line \(entry.line) (\(message)); stopped. Rerun the same command to resume.",
                        exitCode: 1))
                }
                if !(await pause(min(retryAfter ?? policy.backoff(transportTries), policy.maximumWait))) { return (outcome(mayHaveArrived ? BatchOutcome.noAnswer : BatchOutcome.notSent, code, "stopped before retrying: \(message)"), nil) }
            case .retryLimited(let code, let message, let after):
                // A 4xx answer means this try was refused before anything was recorded.
                mayHaveArrived = false
                limitTries += 1
                guard limitTries < policy.limitAttempts else { return (outcome(BatchOutcome.notSent, code, message), nil) }
                if !(await pause(after ?? policy.backoff(limitTries))) { return (outcome(BatchOutcome.notSent, code, "stopped before retrying: \(message)"), nil) }
            }
        }
    }

    private func pause(_ delay: Duration) async -> Bool {
        tally.retrying(1)
        defer { tally.retrying(-1) }
        return await control.pause(delay)
    }

    /// The request body: the order in the API's names, plus where it came from (metadata,
    /// shown with the payout), identical on every try and every rerun.
    static func body(_ entry: BatchEntry, batchID: String) throws -> [UInt8] {
        let metadata = ["batch": batchID, "batch_line": String(entry.line)]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch entry.request {
        case .packet(let order):
            return Array(try encoder.encode(RedpackRequest(appid: order.appID, openid: order.openID, amountFen: order.amountFen, wishing: order.wishing,
                                                           actName: order.actName, remark: order.remark, metadata: metadata)))
        case .campaign(let campaign, let openID):
            return Array(try encoder.encode(CampaignRedpackRequest(campaign: campaign.uuidString.lowercased(), openid: openID, metadata: metadata)))
        }
    }

    /// `POST /v1/redpacks` with a campaign: the campaign sets the rest.
    struct CampaignRedpackRequest: Encodable {
        let campaign: String
        let openid: String
        let metadata: [String: String]
    }

    struct RedpackRequest: Encodable {
        let appid: String
        let openid: String
        let amountFen: Int64
        let wishing: String
        let actName: String
        let remark: String
        let metadata: [String: String]

        enum CodingKeys: String, CodingKey {
            case appid, openid, amountFen = "amount_fen", wishing, actName = "act_name", remark, metadata
        }
    }

    // MARK: what an answer means

    enum Verdict {
        /// Record the line: the API took it (a red packet's status) or refused it for good.
        case done(status: String, code: String?, message: String?, payout: String?)
        /// Record the line and stop the batch: every later line would end the same way.
        case stop(status: String, code: String?, message: String, BatchStop)
        /// No answer, or a 5xx: try again with the same key (safe: idempotent).
        case retryTransport(code: String, message: String, mayHaveArrived: Bool)
        /// A limit: try again after `after` (the Retry-After), or after a backoff.
        case retryLimited(code: String, message: String, after: Duration?)
    }

    /// The table of answers (openapi.yaml's responses for `POST /v1/redpacks`).
    static func verdict(_ outcome: TransportOutcome, retryAfter: Duration?, gateway: String, policy: BatchRetryPolicy) -> Verdict {
        let status: Int, body: [UInt8]
        switch outcome {
        case .notSent(let reason): return .retryTransport(code: "unreachable", message: reason, mayHaveArrived: false)
        case .unknown(let reason): return .retryTransport(code: "no_answer", message: reason, mayHaveArrived: true)
        case .response(let s, let b): (status, body) = (s, b)
        }
        if status == 201 || status == 202 {
            guard let redpack = try? JSONDecoder().decode(RedpackAnswer.self, from: Data(body)) else {
                return .retryTransport(code: "unreadable_answer", message: "HTTP \(status) with a body that is not a red packet", mayHaveArrived: true)
            }
            return .done(status: redpack.status, code: redpack.error?.code, message: redpack.error?.message, payout: redpack.id)
        }
        let problem = try? JSONDecoder().decode(ProblemAnswer.self, from: Data(body))
        let code = problem?.code ?? "http_\(status)"
        let detail = problem?.detail ?? "HTTP \(status)"
        switch (status, code) {
        case (401, _):
            return .stop(status: BatchOutcome.rejected, code: code, message: detail, BatchStop(
                message: "the gateway refused the API key (\(code)): \(detail) Check --api-key-file or HONGBAO_API_KEY.", exitCode: 2))
        case (404, _), (405, _):
            return .stop(status: BatchOutcome.rejected, code: code, message: detail, BatchStop(
                message: "\(gateway) has no POST /v1/redpacks (HTTP \(status)): is --gateway a hongbao gateway's URL?", exitCode: 2))
        case (409, "idempotency_key_in_use"):
            return .retryLimited(code: code, message: detail, after: nil)
        case (429, "budget_exhausted"):
            return .stop(status: BatchOutcome.notSent, code: code, message: detail, BatchStop(
                message: "the tenant's daily budget is spent (\(detail)); rerun the same command \(Self.when(retryAfter)) to send the rest.", exitCode: 1))
        case (429, _):
            guard let retryAfter, retryAfter > policy.maximumWait else { return .retryLimited(code: code, message: detail, after: retryAfter) }
            return .done(status: BatchOutcome.notSent, code: code, message: "\(detail) (retry after \(Self.seconds(retryAfter)) s)", payout: nil)
        case (500..., _):
            return .retryTransport(code: code, message: detail, mayHaveArrived: true)
        default: // 400, 409 idempotency_key_reused, 413, 415, 422: the same request would be refused again
            return .done(status: BatchOutcome.rejected, code: code, message: detail, payout: nil)
        }
    }

    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }

    static func when(_ retryAfter: Duration?) -> String {
        guard let retryAfter else { return "later" }
        let date = Date().addingTimeInterval(TimeInterval(seconds(retryAfter)))
        return "after \(date.formatted(.iso8601))"
    }

    /// The fields of a red packet this command reads (the API's `Redpack`).
    struct RedpackAnswer: Decodable {
        struct Failure: Decodable {
            let code: String
            let message: String
        }
        let id: String
        let status: String
        let error: Failure?
    }

    /// The fields of a problem+json this command reads.
    struct ProblemAnswer: Decodable {
        let code: String
        let detail: String?
    }
}

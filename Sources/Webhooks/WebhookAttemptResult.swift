/// How one delivery attempt ended, as `hongbao_webhook_attempts_total{result}` counts it
/// (the dispatcher's `observer`). Each attempt has exactly one; the row in
/// webhook_attempts has the details.
public enum WebhookAttemptResult: String, Sendable, CaseIterable {
    /// The receiver answered 2xx: the delivery is done.
    case delivered
    /// The receiver answered, with any other status (retried).
    case non2xx = "non_2xx"
    /// Nothing reached the receiver: the connection or the TLS handshake failed (retried).
    case unreachable
    /// The request may have arrived, but no whole answer came in time (retried).
    case noAnswer = "no_answer"
    /// The URL's host did not resolve, or resolved to an address deliveries may not reach
    /// (retried: DNS may change).
    case targetRefused = "target_refused"
    /// This instance's HONGBAO_KEK does not open the endpoint's secret: nothing was sent, and
    /// neither the endpoint nor the delivery is held to it (it waits for the right key).
    case notSigned = "not_signed"
}

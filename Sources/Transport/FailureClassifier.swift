/// Decides, from facts curl reports, whether a failed call may have reached the server's
/// application: `notSent` only when it certainly did not, otherwise `unknown`.
///
/// - No request bytes written (DNS, refused connect, TLS handshake failure or timeout
///   before the request): nothing was processed → `notSent`.
/// - Request bytes written, then the server's TLS layer sent a handshake alert: under
///   TLS 1.3 a server rejects the client certificate only after the client's Finished,
///   so curl has already written the request when the alert arrives — but a server that
///   refuses the handshake never hands application data to its application → `notSent`.
/// - Anything else after request bytes were written (timeout, reset, empty reply, cut
///   body): the request may have been acted on → `unknown`. When in doubt, `unknown`.
enum FailureClassifier {
    /// OpenSSL's texts for alerts a peer sends only while refusing a handshake (the
    /// RFC 8446 §6.2 handshake and certificate alerts).
    static let handshakeAlerts = [
        "alert handshake failure", "alert bad certificate", "alert unsupported certificate",
        "alert certificate revoked", "alert certificate expired", "alert certificate unknown",
        "alert unknown ca", "alert access denied", "alert certificate required",
        "alert decrypt error", "alert protocol version", "alert insufficient security",
    ]

    static func outcome(requestBytesSent: Bool, errorText: String, reason: String) -> TransportOutcome {
        if !requestBytesSent { return .notSent(reason: reason) }
        let text = errorText.lowercased()
        if handshakeAlerts.contains(where: { text.contains($0) }) {
            return .notSent(reason: "the server refused the TLS handshake: \(reason)")
        }
        return .unknown(reason: reason)
    }
}

// Transport — HTTPS for WeChat Pay through libcurl (CCurl), wrapped safely.
//
// What it owns:
// - `ClientIdentity`: one merchant's TLS client certificate + private key (PEM files or
//   in-memory blobs) and optional extra trust roots. Passed per request; there is no
//   process-wide "current identity".
// - `HTTPSClient`: a curl multi handle driven by one dedicated thread, so hundreds of
//   in-flight upstream calls need one thread, not hundreds, and no blocking call ever
//   runs on a NIO event loop. Swift async API with cancellation. Keep-alive connections
//   are reused only between requests with the same identity (curl matches the client
//   certificate when it picks a cached connection). Webhook deliveries add headers, a
//   shorter timeout and an `AddressPin` (CURLOPT_CONNECT_TO: connect to the address the
//   caller resolved and checked, whatever host curl reads in the URL, never a second DNS
//   answer; no proxy then).
// - `TransportOutcome`: where a call ended — a response, `notSent` (nothing reached the
//   server: DNS, refused connect, TLS handshake failure; safe to retry anywhere), or
//   `unknown` (the request may have been received: timeout or reset after sending,
//   truncated body). The payout engine's exactly-once rests on this distinction.
// - `Secret`: credentials that never print.

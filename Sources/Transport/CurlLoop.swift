import CCurl
import Foundation
import Synchronization

/// The thread that owns the curl multi handle. Other threads only append to the inbox
/// under its mutex and wake the loop; every other curl call happens on the loop thread.
///
/// Lifetime: the loop thread owns the multi handle and is the only one to clean it up.
/// It marks the inbox `closed` under the same mutex *before* `curl_multi_cleanup`, and
/// every wakeup from another thread happens under that mutex after checking `closed`,
/// so no wakeup can ever touch a freed handle (stop twice, cancel after stop, deinit
/// after stop are all harmless).
final class CurlLoop: @unchecked Sendable {
    // `multi` is used by other threads only through `wake()`, under `inbox`'s lock.
    private let multi: UnsafeMutableRawPointer
    private let settings: TransportSettings
    private let inbox = Mutex(Inbox())
    // Loop-thread only:
    private var active: [UnsafeMutableRawPointer: (easy: UnsafeMutableRawPointer, call: CurlCall)] = [:]

    private struct Inbox {
        var pending: [CurlCall] = []
        var cancelling: [CurlCall] = []
        /// No new work is accepted; the loop ends after finishing what it holds.
        var stopping = false
        /// The multi handle is gone: nobody may wake it any more.
        var closed = false
    }

    init(settings: TransportSettings) {
        self.settings = settings
        self.multi = curl_multi_init()!
        hb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, settings.maximumCachedConnections)
        // The thread keeps the loop alive until `run` returns.
        let name = threadName
        let thread = Thread { [self] in
            // Foundation's Thread.name does not reach the kernel on Linux; this does.
            _ = hb_set_thread_name(name)
            run()
        }
        thread.name = name
        thread.start()
    }

    /// This loop's thread, by name (at most 15 characters: Linux's limit): any thread curl
    /// started from it would inherit the name, so a test can count them.
    var threadName: String {
        "hbcurl-" + String(UInt32(truncatingIfNeeded: ObjectIdentifier(self).hashValue), radix: 16)
    }

    func submit(_ call: CurlCall) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.pending.append(call)
            wakeLocked(inbox)
            return true
        }
        if !accepted { call.finish(.notSent(reason: "HTTPS client is shut down")) }
    }

    /// True once shutdown began: a call refused now says nothing about its server.
    var stopping: Bool { inbox.withLock { $0.stopping } }

    func cancel(_ call: CurlCall) {
        call.cancelled.store(true, ordering: .relaxed)
        inbox.withLock { inbox in
            guard !inbox.closed else { return } // the loop already finished every call
            inbox.cancelling.append(call)
            wakeLocked(inbox)
        }
    }

    /// Idempotent. Calls in flight end as `notSent`/`unknown`; later calls as `notSent`.
    func stop() {
        inbox.withLock { inbox in
            inbox.stopping = true
            wakeLocked(inbox)
        }
    }

    /// Must be called with the inbox lock held: that is what orders it before cleanup.
    private func wakeLocked(_ inbox: Inbox) {
        if !inbox.closed { curl_multi_wakeup(multi) }
    }

    private func run() {
        while true {
            let (pending, cancelling, stopping) = inbox.withLock { inbox in
                defer { inbox.pending = []; inbox.cancelling = [] }
                return (inbox.pending, inbox.cancelling, inbox.stopping)
            }
            for call in pending { start(call) }
            for call in cancelling { abort(call, reason: "cancelled") }
            if stopping {
                for (_, entry) in active { abort(entry.call, reason: "HTTPS client shut down") }
                // Calls submitted between the read above and now were refused by `submit`
                // (stopping is set), so nothing is left behind.
                inbox.withLock { $0.closed = true }
                curl_multi_cleanup(multi)
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                complete(easy, code: message.pointee.data.result)
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }

    private func start(_ call: CurlCall) {
        if call.cancelled.load(ordering: .relaxed) { call.finish(.notSent(reason: "cancelled before sending")); return }
        guard let easy = curl_easy_init() else { call.finish(.notSent(reason: "curl_easy_init failed")); return }
        call.limit = settings.maximumResponseBytes
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        if !call.contentType.isEmpty { headers = curl_slist_append(headers, "Content-Type: \(call.contentType)") }
        for header in call.extraHeaders { headers = curl_slist_append(headers, header) }
        headers = curl_slist_append(headers, "Expect:") // no 100-continue round trip
        call.headers = headers
        let key = Unmanaged.passUnretained(call).toOpaque()
        hb_curl_setopt_string(easy, CURLOPT_URL, call.url)
        if call.method == .delete { hb_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE") }
        if call.method == .post {
            // The body comes from a read callback with no way to rewind it: when a reused
            // connection dies before any answer, curl would otherwise send the request again
            // on a fresh one by itself — and the answer to that second copy would pass for
            // the answer to the first (a refusal of a resend taken for "never sent").
            hb_curl_setopt_long(easy, CURLOPT_POST, 1)
            hb_curl_setopt_long(easy, CURLOPT_POSTFIELDSIZE, call.body.count)
            hb_curl_setopt_read(easy, CURLOPT_READFUNCTION, curlRead)
            hb_curl_setopt_pointer(easy, CURLOPT_READDATA, key)
        }
        hb_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
        hb_curl_setopt_string(easy, CURLOPT_USERAGENT, settings.userAgent)
        hb_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeout.milliseconds)
        hb_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, (call.timeout ?? settings.totalTimeout).milliseconds)
        hb_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        hb_curl_setopt_long(easy, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        hb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        hb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        hb_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        hb_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "https,http")
        hb_curl_setopt_write(easy, CURLOPT_WRITEFUNCTION, curlWrite)
        hb_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, key)
        hb_curl_setopt_pointer(easy, CURLOPT_PRIVATE, key)
        hb_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, call.errorBuffer)
        if let identity = call.identity { apply(identity, to: easy) }
        if let pin = call.pin {
            // Every connection of this call goes to the checked address, never through a
            // proxy (or the pinned address would not be where the request goes).
            call.connectTo = curl_slist_append(nil, pin.curlConnectToEntry)
            hb_curl_setopt_slist(easy, CURLOPT_CONNECT_TO, call.connectTo)
            hb_curl_setopt_string(easy, CURLOPT_NOPROXY, "*")
        }
        active[key] = (easy, call)
        curl_multi_add_handle(multi, easy)
    }

    private func apply(_ identity: ClientIdentity, to easy: UnsafeMutableRawPointer) {
        hb_curl_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
        hb_curl_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        switch identity.certificate {
        case .file(let path): hb_curl_setopt_string(easy, CURLOPT_SSLCERT, path)
        case .pem(let bytes): bytes.withUnsafeBytes { _ = hb_curl_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }
        case nil: break
        }
        switch identity.privateKey {
        case .file(let path): hb_curl_setopt_string(easy, CURLOPT_SSLKEY, path)
        case .pem(let secret):
            let bytes = Array(secret.reveal().utf8)
            bytes.withUnsafeBytes { _ = hb_curl_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }
        case nil: break
        }
        // CAINFO adds to the system CApath (OpenSSL loads both), so these are extra roots.
        if let roots = identity.extraTrustRootsFile, !roots.isEmpty { hb_curl_setopt_string(easy, CURLOPT_CAINFO, roots) }
    }

    private func complete(_ easy: UnsafeMutableRawPointer, code: CURLcode) {
        // The handle carries its call's key (CURLOPT_PRIVATE), so finding it costs no scan.
        var keyPointer: UnsafeMutableRawPointer? = nil
        hb_curl_getinfo_pointer(easy, CURLINFO_PRIVATE, &keyPointer)
        guard let key = keyPointer, let entry = active.removeValue(forKey: key) else { return }
        let outcome = classify(easy, code: code, call: entry.call)
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        entry.call.finish(outcome)
    }

    private func abort(_ call: CurlCall, reason: String) {
        let key = Unmanaged.passUnretained(call).toOpaque()
        guard let entry = active.removeValue(forKey: key) else { return }
        let sent = requestBytesSent(entry.easy)
        curl_multi_remove_handle(multi, entry.easy)
        curl_easy_cleanup(entry.easy)
        call.finish(sent ? .unknown(reason: "\(reason) after the request was sent") : .notSent(reason: "\(reason) before sending"))
    }

    /// True once curl wrote request bytes to the connection (CURLINFO_REQUEST_SIZE counts
    /// what it issued; it stays 0 through DNS, connect and the TLS handshake), or took any
    /// of the body to send. From then on the server may have the request.
    private func requestBytesSent(_ easy: UnsafeMutableRawPointer) -> Bool {
        var size = 0
        hb_curl_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &size)
        guard size == 0 else { return true }
        var keyPointer: UnsafeMutableRawPointer? = nil
        hb_curl_getinfo_pointer(easy, CURLINFO_PRIVATE, &keyPointer)
        return keyPointer.map { Unmanaged<CurlCall>.fromOpaque($0).takeUnretainedValue().bodyOffset > 0 } ?? false
    }

    private func classify(_ easy: UnsafeMutableRawPointer, code: CURLcode, call: CurlCall) -> TransportOutcome {
        if code == CURLE_OK {
            var status = 0
            hb_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            var retryAfter: curl_off_t = 0
            hb_curl_getinfo_offt(easy, CURLINFO_RETRY_AFTER, &retryAfter)
            call.retryAfterSeconds = Int(retryAfter)
            return .response(status: status, body: call.received)
        }
        let detail = call.errorText
        let reason = String(cString: curl_easy_strerror(code)) + (detail.isEmpty ? "" : ": \(detail)")
            + (call.overflowed ? " (answer larger than \(call.limit) bytes)" : "")
        return FailureClassifier.outcome(requestBytesSent: requestBytesSent(easy), errorText: detail, reason: reason)
    }
}

/// curl's write callback: appends to the call's buffer; returning less than given
/// aborts the transfer (answer too large).
/// Hands curl the next piece of the body. There is no seek callback: a body once read
/// cannot be sent again (curl then fails the call with CURLE_SEND_FAIL_REWIND — unknown).
private let curlRead: hb_curl_read_cb = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let call = Unmanaged<CurlCall>.fromOpaque(userdata).takeUnretainedValue()
    let length = min(size * count, call.body.count - call.bodyOffset)
    guard length > 0 else { return 0 }
    call.body.withUnsafeBytes { raw in
        buffer.withMemoryRebound(to: UInt8.self, capacity: length) { $0.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + call.bodyOffset, count: length) }
    }
    call.bodyOffset += length
    return length
}

private let curlWrite: hb_curl_write_cb = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let call = Unmanaged<CurlCall>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    if call.received.count + length > call.limit {
        call.overflowed = true
        return 0
    }
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) { call.received.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
    return length
}

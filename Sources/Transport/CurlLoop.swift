import CCurl
import Foundation
import Synchronization

/// The thread that owns the curl multi handle. Other threads only append to `pending`
/// / `cancelling` under the mutex and wake the loop; every curl call happens here.
final class CurlLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let settings: TransportSettings
    private let inbox = Mutex(Inbox())
    // Loop-thread only:
    private var active: [UnsafeMutableRawPointer: (easy: UnsafeMutableRawPointer, call: CurlCall)] = [:]

    private struct Inbox {
        var pending: [CurlCall] = []
        var cancelling: [CurlCall] = []
        var stopping = false
    }

    init(settings: TransportSettings) {
        self.settings = settings
        self.multi = curl_multi_init()!
        hb_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, settings.maximumCachedConnections)
        let thread = Thread { [self] in run() }
        thread.name = "hongbao-curl"
        thread.start()
    }

    func submit(_ call: CurlCall) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.pending.append(call)
            return true
        }
        if accepted { curl_multi_wakeup(multi) } else { call.finish(.notSent(reason: "HTTPS client is shut down")) }
    }

    func cancel(_ call: CurlCall) {
        call.cancelled.store(true, ordering: .relaxed)
        inbox.withLock { $0.cancelling.append(call) }
        curl_multi_wakeup(multi)
    }

    func stop() {
        inbox.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
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
        headers = curl_slist_append(headers, "Expect:") // no 100-continue round trip
        call.headers = headers
        let key = Unmanaged.passUnretained(call).toOpaque()
        hb_curl_setopt_string(easy, CURLOPT_URL, call.url)
        if call.method == .delete { hb_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, "DELETE") }
        if call.method == .post {
            hb_curl_setopt_long(easy, CURLOPT_POST, 1)
            call.body.withUnsafeBytes { raw in
                hb_curl_setopt_long(easy, CURLOPT_POSTFIELDSIZE, raw.count)
                _ = hb_curl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        hb_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
        hb_curl_setopt_string(easy, CURLOPT_USERAGENT, settings.userAgent)
        hb_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, settings.connectTimeout.milliseconds)
        hb_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, settings.totalTimeout.milliseconds)
        hb_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        hb_curl_setopt_long(easy, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        hb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        hb_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        hb_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0)
        hb_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "https,http")
        hb_curl_setopt_write(easy, CURLOPT_WRITEFUNCTION, curlWrite)
        hb_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, key)
        hb_curl_setopt_pointer(easy, CURLOPT_PRIVATE, key)
        if let identity = call.identity { apply(identity, to: easy) }
        active[key] = (easy, call)
        curl_multi_add_handle(multi, easy)
    }

    private func apply(_ identity: ClientIdentity, to easy: UnsafeMutableRawPointer) {
        hb_curl_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM")
        hb_curl_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM")
        switch identity.certificate {
        case .file(let path): hb_curl_setopt_string(easy, CURLOPT_SSLCERT, path)
        case .pem(let bytes): bytes.withUnsafeBytes { _ = hb_curl_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }
        }
        switch identity.privateKey {
        case .file(let path): hb_curl_setopt_string(easy, CURLOPT_SSLKEY, path)
        case .pem(let secret):
            let bytes = Array(secret.reveal().utf8)
            bytes.withUnsafeBytes { _ = hb_curl_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }
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
        let sending = requestStarted(entry.easy)
        curl_multi_remove_handle(multi, entry.easy)
        curl_easy_cleanup(entry.easy)
        call.finish(sending ? .unknown(reason: "\(reason) after the request was sent") : .notSent(reason: "\(reason) before sending"))
    }

    /// True once curl reached the transfer phase, i.e. connection and TLS handshake
    /// completed and request bytes may be on the wire. Until then nothing was sent.
    private func requestStarted(_ easy: UnsafeMutableRawPointer) -> Bool {
        var pretransfer: curl_off_t = 0
        hb_curl_getinfo_offt(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
        return pretransfer > 0
    }

    private func classify(_ easy: UnsafeMutableRawPointer, code: CURLcode, call: CurlCall) -> TransportOutcome {
        if code == CURLE_OK {
            var status = 0
            hb_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            return .response(status: status, body: call.received)
        }
        let reason = String(cString: curl_easy_strerror(code)) + (call.overflowed ? " (answer larger than \(call.limit) bytes)" : "")
        if !requestStarted(easy) { return .notSent(reason: reason) }
        return .unknown(reason: reason)
    }
}

/// curl's write callback: appends to the call's buffer; returning less than given
/// aborts the transfer (answer too large).
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

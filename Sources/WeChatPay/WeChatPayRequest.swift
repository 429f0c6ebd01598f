/// One WeChat Pay v2 API call: where it goes, its fields under WeChat's names (without
/// `nonce_str` and `sign`), its validation, and how a successful answer is read.
public protocol WeChatPayRequest: Sendable {
    associatedtype Response: Sendable
    static var path: String { get }
    static var family: ErrorCatalog.Family { get }
    /// Elements of the answer that hold lists (container → item), if any.
    static var responseLists: [String: String] { get }
    /// The `mch_id` this request is made for (the TLS identity must match it).
    var merchantID: String { get }
    var fields: [String: String] { get }
    func validate() throws(RequestInvalid)
    static func response(from document: WeChatXML.Document) throws(WeChatXML.CodecError) -> Response
    /// Fields a success answer must echo with exactly these values (reference §3.2): an
    /// answer about another packet, merchant, amount or user is never taken as success.
    var echoedFields: [String: String] { get }
}

extension WeChatPayRequest {
    public static var responseLists: [String: String] { [:] }

    /// The echoed fields that are missing or differ, as `name: expected → got`.
    public func echoMismatches(_ document: WeChatXML.Document) -> [String] {
        echoedFields.sorted { $0.key < $1.key }.compactMap { name, expected in
            let got = document[name]
            return got == expected ? nil : "\(name): expected \(expected), got \(got ?? "nothing")"
        }
    }

    /// The signed XML body, with a fresh nonce.
    public func body(key: String, nonce: String = Signer.nonce()) throws(RequestInvalid) -> String {
        try validate()
        var all = fields.filter { !$0.value.isEmpty }
        all["nonce_str"] = nonce
        all["sign"] = Signer.sign(all, key: key)
        return WeChatXML.encode(all)
    }
}

extension WeChatXML.Document {
    /// A field the answer must carry.
    func require(_ name: String) throws(WeChatXML.CodecError) -> String {
        guard let value = fields[name], !value.isEmpty else { throw WeChatXML.CodecError(reason: "answer lacks <\(name)>") }
        return value
    }

    func requireFen(_ name: String) throws(WeChatXML.CodecError) -> Int64 {
        guard let value = Int64(try require(name)) else { throw WeChatXML.CodecError(reason: "<\(name)> is not an integer") }
        return value
    }
}

import Testing
@testable import WeChatPay

@Suite("Signer")
struct SignerTests {
    // Reference §2.2 (official vectors, recomputed independently).
    let parameters = ["appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA"]
    let key = "192006250b4c09247ec02edce69f6a2d"

    @Test("MD5 matches the official vector")
    func md5() {
        #expect(Signer.sign(parameters, key: key) == "9A0A8659F005D6984697E2CA0A9CF3B7")
    }

    @Test("HMAC-SHA256 matches the official vector (message keeps the &key= suffix)")
    func hmac() {
        #expect(Signer.sign(parameters, key: key, algorithm: .hmacSHA256) == "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6")
    }

    @Test("sign and empty values are left out; names sort by byte order")
    func canonical() {
        var p = parameters
        p["sign"] = "WHATEVER"
        p["empty"] = ""
        p["Zeta"] = "upper sorts first"
        #expect(Signer.canonicalString(p) == "Zeta=upper sorts first&appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA")
        var signed = parameters
        signed["empty"] = ""
        #expect(Signer.sign(signed, key: key) == "9A0A8659F005D6984697E2CA0A9CF3B7")
    }

    @Test("verify accepts the right signature and refuses a changed field or key")
    func verify() {
        var p = parameters
        p["sign"] = Signer.sign(p, key: key)
        #expect(Signer.verify(p, key: key))
        #expect(!Signer.verify(p, key: String(key.reversed())))
        p["body"] = "tampered"
        #expect(!Signer.verify(p, key: key))
    }

    @Test("nonces are 32 alphanumerics and do not repeat")
    func nonces() {
        let many = (0..<1000).map { _ in Signer.nonce() }
        #expect(Set(many).count == 1000)
        #expect(many.allSatisfy { $0.count == 32 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
    }

    @Test("mini-program paySign is MD5 over appId, nonceStr, URL-encoded package, timeStamp")
    func paySign() {
        let payment = MiniProgramPayment(appID: "wxmini", package: "sendid=1&ver=8", key: key, timeStamp: "1500000000", nonceStr: "n")
        #expect(payment.package == "sendid%3D1%26ver%3D8")
        #expect(payment.paySign == Signer.sign(["appId": "wxmini", "nonceStr": "n", "package": "sendid%3D1%26ver%3D8", "timeStamp": "1500000000"], key: key))
    }
}

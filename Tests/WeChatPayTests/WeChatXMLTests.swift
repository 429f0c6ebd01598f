import Testing
import TestSupport
@testable import WeChatPay

@Suite("Strict XML codec")
struct WeChatXMLTests {
    @Test("round trip keeps CDATA, markup characters, unicode and numbers")
    func roundTrip() throws {
        let fields = ["a": "恭喜发财 🧧", "b": "<tag> & \"q\" 'a'", "n": "100", "c": "contains ]]> terminator", "e": ""]
        let back = try WeChatXML.decode(WeChatXML.encode(fields))
        #expect(back.fields == fields)
    }

    @Test("reads escaped text, CDATA, numeric references and an XML declaration")
    func reads() throws {
        let doc = try WeChatXML.decode("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n <a>x &amp; y &lt;z&gt;</a><b><![CDATA[<raw>]]></b><c>&#23454;&#x4E8B;</c>\n</xml>\n")
        #expect(doc["a"] == "x & y <z>")
        #expect(doc["b"] == "<raw>")
        #expect(doc["c"] == "实事")
    }

    @Test("gethbinfo's hblist is the one allowed nesting")
    func lists() throws {
        let text = "<xml><status>RECEIVED</status><hblist><hbinfo><openid>o1</openid><amount>100</amount></hbinfo><hbinfo><openid>o2</openid><amount>5</amount></hbinfo></hblist></xml>"
        let doc = try WeChatXML.decode(text, lists: ["hblist": "hbinfo"])
        #expect(doc.lists["hblist"]?.map { $0["openid"] } == ["o1", "o2"])
        #expect(throws: WeChatXML.CodecError.self) { try WeChatXML.decode(text) }
    }

    @Test("refusals", arguments: [
        ("<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><a>&x;</a></xml>", "DOCTYPE"),
        ("<xml><!ENTITY x \"y\"><a>1</a></xml>", "ENTITY"),
        ("<xml><a>&x;</a></xml>", "entity"),
        ("<xml><a><b>1</b></a></xml>", "nested"),
        ("<xml><a>1</a><a>2</a></xml>", "duplicate"),
        ("<xml><a x=\"1\">1</a></xml>", "attributes"),
        ("<root><a>1</a></root>", "root"),
        ("<xml><a>1</a></xml><xml/>", "after"),
        ("<xml><a>1</xml>", "expected"),
        ("<xml><a><![CDATA[x</a></xml>", "CDATA"),
        ("<xml><?php x ?><a>1</a></xml>", "processing"),
        ("<xml><a>&#0;</a></xml>", "reference"),
        ("", "element"),
    ])
    func refusals(input: String, mentions: String) {
        let error = #expect(throws: WeChatXML.CodecError.self) { try WeChatXML.decode(input) }
        #expect(error?.reason.localizedCaseInsensitiveContains(mentions) == true, "\(error?.reason ?? "") should mention \(mentions)")
    }

    @Test("oversize and invalid UTF-8 are refused before parsing")
    func limits() {
        let big = "<xml><a>" + String(repeating: "x", count: WeChatXML.maximumSize) + "</a></xml>"
        #expect(throws: WeChatXML.CodecError.self) { try WeChatXML.decode(big) }
        let bad: [UInt8] = Array("<xml><a>".utf8) + [0xC3, 0x28] + Array("</a></xml>".utf8)
        let error = #expect(throws: WeChatXML.CodecError.self) { try WeChatXML.decode(bad) }
        #expect(error?.reason.contains("UTF-8") == true)
    }

    @Test("property: any flat document round-trips; mutated bytes never crash")
    func property() throws {
        var rng = SeededGenerator(seed: 0x5EED)
        let alphabet = Array("abcXYZ019 <>&\"'];]]>红包🧧\n\t")
        for _ in 0..<500 {
            var fields: [String: String] = [:]
            for i in 0..<Int(rng.next() % 8) {
                let name = "f\(i)_" + String(rng.next() % 1000)
                fields[name] = String((0..<Int(rng.next() % 24)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            }
            let encoded = WeChatXML.encode(fields)
            #expect(try WeChatXML.decode(encoded).fields == fields)
            var bytes = Array(encoded.utf8)
            for _ in 0..<3 where !bytes.isEmpty {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? WeChatXML.decode(bytes) // must return or throw, never trap
        }
    }
}

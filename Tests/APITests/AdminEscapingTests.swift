@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Mustache
import Postgres
import Testing
import TestSupport
import Transport

/// The dashboard escapes by Unicode scalar: a reflected search value whose quote is fused
/// with a combining or prepended mark cannot leave its attribute (issue 15 item 5).
@Suite("/admin escaping by Unicode scalar")
struct AdminEscapingTests {
    static let token = "admin-" + UUID().uuidString.lowercased()

    /// Quotes and angle brackets fused into one Character with a neighbouring mark.
    static let hostile = [
        "x\"\u{301} autofocus onfocus=alert(1) x=\"",
        "x\u{600}\" onmouseover=alert(2) y=\"",
        "x'\u{301}><script>alert(3)</script>",
        "x<\u{301}img src=x onerror=alert(4)>",
        "{{billno}}\"\u{20DD}",
    ]

    @Test("upstream: swift-mustache alone leaves a quote followed by U+0301 unescaped (why ScalarEscapedView exists)")
    func upstreamMissesFusedQuote() throws {
        let template = try MustacheTemplate(string: #"<input value="{{v}}">"#)
        let rendered = template.render(["v": "a\"\u{301} onfocus=x"])
        #expect(rendered.unicodeScalars.filter { $0 == "\"" }.count == 3, "the fused quote passes through: \(rendered.debugDescription)")
    }

    @Test("escape works scalar by scalar: every quote, bracket, ampersand and brace is a reference, marks stay")
    func escapeByScalar() {
        #expect(ScalarEscapedView.escape("a\"\u{301}b") == "a&quot;\u{301}b")
        #expect(ScalarEscapedView.escape("\u{600}\"") == "\u{600}&quot;")
        #expect(ScalarEscapedView.escape(#"<&'>{}"#) == "&lt;&amp;&#39;&gt;&#123;&#125;")
        #expect(ScalarEscapedView.escape("红包 ok") == "红包 ok")
    }

    @Test("hostile search values render as one attribute each: the parsed inputs carry exactly their own attributes and the value read back is the input")
    func hostileSearchInputs() async throws {
        try await GatewayHarness.with("adminscalar") { gw in
            let migrator = try Migrator(directory: Repository.root.appendingPathComponent("migrations"))
            var dependencies = GatewayDependencies(gateway: gw.gateway, migrator: migrator, logger: CapturedLogs().logger)
            dependencies.admin = try AdminSettings(token: Secret(Self.token))
            try await Application(router: try buildRouter(dependencies: dependencies)).test(.router) { client in
                for input in Self.hostile {
                    let encoded = input.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                    let response = try await client.execute(uri: "/admin/payouts?billno=\(encoded)&openid=\(encoded)&tenant=\(encoded)", method: .get,
                                                            headers: [.authorization: "Bearer \(Self.token)"])
                    let html = String(buffer: response.body)
                    let tags = HTMLTags.parse(html)
                    #expect(!tags.contains { $0.name == "script" || $0.name == "img" }, "no element injected for \(input.debugDescription)")
                    for name in ["billno", "openid", "tenant"] {
                        let field = try #require(tags.first { $0.name == "input" && $0.attributes["name"] == name }, "the \(name) field")
                        #expect(Set(field.attributes.keys) == ["name", "value", "size"], "\(name): \(field.attributes.keys.sorted())")
                        #expect(field.attributes["value"].map { Array($0.unicodeScalars) } == Array(input.unicodeScalars), "\(name): the value reads back whole")
                    }
                    #expect(!tags.contains { $0.attributes.keys.contains { $0.hasPrefix("on") || $0 == "autofocus" } }, "no handler attribute anywhere")
                }
            }
        }
    }
}

/// A small HTML tokenizer that reads start tags and their attributes the way a browser
/// does (HTML's tag and attribute states): enough to see which attributes a page really has.
enum HTMLTags {
    struct Tag { let name: String; var attributes: [String: String] }

    static func parse(_ html: String) -> [Tag] {
        let s = Array(html.unicodeScalars)
        var i = 0, tags: [Tag] = []
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\u{0C}" }
        while i < s.count {
            guard s[i] == "<", i + 1 < s.count, s[i + 1].properties.isAlphabetic else { i += 1; continue }
            i += 1
            var name = ""
            while i < s.count, !isSpace(s[i]), s[i] != ">", s[i] != "/" { name.unicodeScalars.append(s[i]); i += 1 }
            var tag = Tag(name: name.lowercased(), attributes: [:])
            while i < s.count, s[i] != ">" {
                if isSpace(s[i]) || s[i] == "/" { i += 1; continue }
                var key = ""
                repeat { key.unicodeScalars.append(s[i]); i += 1 } while i < s.count && !isSpace(s[i]) && s[i] != ">" && s[i] != "/" && s[i] != "="
                var value = ""
                while i < s.count, isSpace(s[i]) { i += 1 }
                if i < s.count, s[i] == "=" {
                    i += 1
                    while i < s.count, isSpace(s[i]) { i += 1 }
                    if i < s.count, s[i] == "\"" || s[i] == "'" {
                        let quote = s[i]; i += 1
                        while i < s.count, s[i] != quote { value.unicodeScalars.append(s[i]); i += 1 }
                        i += 1
                    } else {
                        while i < s.count, !isSpace(s[i]), s[i] != ">" { value.unicodeScalars.append(s[i]); i += 1 }
                    }
                }
                if tag.attributes[key.lowercased()] == nil { tag.attributes[key.lowercased()] = decode(value) }
            }
            tags.append(tag)
            i += 1
        }
        return tags
    }

    /// Character references (named ones the escaper uses, and numeric ones), read scalar
    /// by scalar: `&quot;` followed by U+0301 must still decode.
    static func decode(_ text: String) -> String {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView(), i = 0
        let named: [String: Unicode.Scalar] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\""]
        while i < s.count {
            if s[i] == "&", let semi = s[i...].firstIndex(of: ";") {
                let entity = String(String.UnicodeScalarView(s[(i + 1)..<semi]))
                if let scalar = named[entity] ?? (entity.hasPrefix("#") ? UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init) : nil) {
                    out.append(scalar)
                    i = semi + 1
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return String(out)
    }
}

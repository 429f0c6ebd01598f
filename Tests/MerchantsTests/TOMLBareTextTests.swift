import Foundation
import Merchants
import Testing

/// A merchants.d file with a non-ASCII character where TOML expects a key aborted the whole
/// process inside TOMLKit's toml++ (`[é]`: a failed assert, found by `make fuzz`); now the
/// loader refuses it like any other invalid file, and non-ASCII text where TOML allows it
/// still loads as far as TOML goes.
@Suite("Merchant TOML outside strings")
struct TOMLBareTextTests {
    let loader = MerchantLoader(directory: URL(fileURLWithPath: "/nonexistent"), environment: [:])
    let file = URL(fileURLWithPath: "/nonexistent/bad.toml")

    func refusal(_ text: String) -> String? {
        do {
            _ = try loader.load(text: text, as: file)
            return nil
        } catch let error as MerchantLoadError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test("a non-ASCII table header or bare key is refused with its line, not an abort",
          arguments: ["[é]\n", "kind = \"wechatpay.v2\"\n[\u{FFFD}\u{FFFD}]\n", "[[é]]\n", "é = 1\n", "a.é = 1\n"])
    func refused(_ text: String) throws {
        let reason = try #require(refusal(text))
        #expect(reason.contains("non-ASCII character outside a string or comment at line \(text.hasPrefix("kind") ? 2 : 1)"))
    }

    @Test("non-ASCII inside strings, quoted keys and comments reaches the TOML parser",
          arguments: ["send_name = \"ACME 上海\"\n", "# 注释\nname = 'x'\n", "\"é\" = 1\n", "s = \"\"\"多行\n\"é\"\"\"\"\n", "s = '''\n上海'''\n"])
    func allowed(_ text: String) {
        // These are fine TOML without a `kind`: the loader gets past parsing and asks for one.
        #expect(refusal(text)?.contains("missing") == true, "\(refusal(text) ?? "loaded")")
    }
}

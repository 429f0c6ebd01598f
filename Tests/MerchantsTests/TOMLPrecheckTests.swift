import Foundation
import Merchants
import Testing

/// Invalid merchants.d text on which TOMLKit's toml++ aborted the whole process (a failed
/// assert, found by `make fuzz`) is refused like any other invalid file, with its line; valid
/// TOML that looks like it (non-ASCII in strings and comments, nested arrays, quoted keys)
/// still reaches the parser.
@Suite("Merchant TOML precheck")
struct TOMLPrecheckTests {
    let loader = MerchantLoader(directory: URL(fileURLWithPath: "/nonexistent"), environment: [:])

    func refusal(_ text: String) -> String? {
        do {
            _ = try loader.load(text: text, as: URL(fileURLWithPath: "/nonexistent/fuzz.toml"))
            return nil
        } catch let error as MerchantLoadError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test("each input that aborted the process is refused with its reason and line", arguments: [
        ("[é]\n", "a table header that does not start with a key at line 1"),
        ("kind = \"wechatpay.v2\"\n[\u{FFFD}\u{FFFD}]\n", "a table header that does not start with a key at line 2"),
        ("a.é = 1\n", "a non-ASCII character outside a string or comment at line 1"),
        ("x = 1\ny = é\n", "a non-ASCII character outside a string or comment at line 2"),
        ("s=[}\n", "a closing '}' that closes nothing open at line 1"),
        ("# c\n[[[1]]]\n", "a table header that does not start with a key at line 2"),
        ("[[[]]\n", "a table header that does not start with a key at line 1"),
        ("[[=\n", "a table header that does not start with a key at line 1"),
        ("a = [1,\n", "a '[' never closed at line 2"),
        ("e=2026-11-0= 1\n", "a second '=' before the value ends at line 1"),
        ("t = { a = 1 = 2 }\n", "a second '=' before the value ends at line 1"),
        ("a = [ b = 1 ]\n", "an '=' inside brackets at line 1"),
    ])
    func refused(_ text: String, _ reason: String) throws {
        let said = try #require(refusal(text))
        #expect(said == "not valid TOML: \(reason)")
    }

    @Test("valid TOML of those shapes reaches the parser (which then asks for a kind)", arguments: [
        "send_name = \"ACME 上海\"\n", "# 注释 [é]\nname = 'x'\n", "\"é\" = 1\n", "s = \"\"\"多行\n\"é\"\"\"\"\n", "s = '''\n[上海'''\n",
        "a = [[[1]]]\n", "a = [\n  [[1]],\n  { b = \"]\" },\n]\n", "[ t ]\nx = 1\n", "[[ 'q' ]]\nx = 1\n", "t = { a = 1, b = { c = 2 }, 'd=' = \"=\" }\ny = 2 # x = 1\n",
        "a = [ { b = 1 }, { c = 2 } ]\n", "s = \"a \\\" [\"\n",
    ])
    func allowed(_ text: String) {
        let said = refusal(text)
        #expect(said?.hasPrefix("missing") == true || said?.contains("kind") == true, "\(said ?? "loaded")")
    }

    @Test("the example merchants pass the precheck untouched")
    func examples() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("merchants.d")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }
        #expect(files.count >= 3)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let said = refusal(text) ?? "loaded"
            #expect(!said.hasPrefix("not valid TOML"), "\(file): \(said)")
        }
    }
}

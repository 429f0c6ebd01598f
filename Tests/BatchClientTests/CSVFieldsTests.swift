import BatchClient
import Testing

/// `CSVFields.split` on one physical line: every input and answer a literal.
@Suite("CSVFields")
struct CSVFieldsTests {
    /// A line and its fields, or the message that refuses it.
    struct Case: Sendable, CustomTestStringConvertible {
        let line: String
        let answer: Result<[String], Refusal>
        var testDescription: String { line.isEmpty ? "(empty)" : line }
    }

    struct Refusal: Error, Equatable { let message: String }

    static func fields(_ line: String, _ fields: [String]) -> Case { Case(line: line, answer: .success(fields)) }
    static func refused(_ line: String, _ message: String) -> Case { Case(line: line, answer: .failure(Refusal(message: message))) }

    static let cases: [Case] = [
        fields("a,b,c", ["a", "b", "c"]),
        fields("", [""]),
        fields("a,", ["a", ""]),
        fields(",", ["", ""]),
        fields(" a ,\tb\t", ["a", "b"]),
        fields("\"a, b\",c", ["a, b", "c"]),
        fields("\"say \"\"hi\"\"\",x", ["say \"hi\"", "x"]),
        fields("\"\"", [""]),
        fields("\"  padded  \"", ["  padded  "]),
        fields("x, \"a\"  ,y", ["x", "a", "y"]),
        fields("oUser1,100,\"恭喜, 发财\",备注", ["oUser1", "100", "恭喜, 发财", "备注"]),
        refused("\"open", "field 1 opens a quote it never closes"),
        refused("a,\"b", "field 2 opens a quote it never closes"),
        refused("\"a\"b", "field 1 has text after its closing quote"),
        refused("a\"b", "field 1 has a quote inside; quote the whole field and double the quote"),
        refused("x,y\"", "field 2 has a quote inside; quote the whole field and double the quote"),
    ]

    @Test("splits a line into fields, or says which field is malformed", arguments: cases)
    func split(_ c: Case) {
        let answer: Result<[String], Refusal>
        do {
            answer = .success(try CSVFields.split(Array(c.line.utf8)).map { String(decoding: $0, as: UTF8.self) })
        } catch {
            answer = .failure(Refusal(message: error.message))
        }
        #expect(answer == c.answer)
    }
}

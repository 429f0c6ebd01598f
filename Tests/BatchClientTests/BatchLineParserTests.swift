import Foundation
import BatchClient
import Payouts
import Testing

/// `BatchLineParser.parse` line by line, as a fuzzer will call it: raw bytes in, an entry,
/// a skip or a problem out. Lines and expected answers are literals.
@Suite("BatchLineParser")
struct BatchLineParserTests {
    static let defaults = BatchDefaults(appID: "wx8888888888888888", amountFen: 100, actName: "新年", wishing: "恭喜发财", remark: "备注")

    /// What a parse answered, in one comparable line.
    static func describe(_ parsed: BatchLineParser.Parsed) -> String {
        switch parsed {
        case .skipped: "skipped"
        case .entry(let entry):
            switch entry.request {
            case .packet(let order): "line \(entry.line): \(order.openID) \(order.amountFen) \(order.wishing) / \(order.remark)"
            case .campaign(let id, let openID): "line \(entry.line): \(openID) of campaign \(id.uuidString.lowercased())"
            }
        case .invalid(let problem): problem.lines.joined(separator: "; ")
        }
    }

    /// Parses `lines` in order (numbered from 1) with one parser, as a file is read.
    static func parse(_ format: BatchFormat, _ lines: [[UInt8]], defaults: BatchDefaults = defaults) -> [String] {
        var parser = BatchLineParser(format: format, defaults: defaults)
        return lines.enumerated().map { describe(parser.parse(BatchRawLine(number: $0.offset + 1, bytes: $0.element))) }
    }

    static func parse(_ format: BatchFormat, _ lines: [String], defaults: BatchDefaults = defaults) -> [String] {
        parse(format, lines.map { Array($0.utf8) }, defaults: defaults)
    }

    @Test("TXT: one openid a line; blank lines, comments and an `openid` header are skipped")
    func text() {
        #expect(Self.parse(.txt, ["openid", "oUser1", "", "  \t ", "# a comment", "  oUser2\t", "openid"]) == [
            "skipped", "line 2: oUser1 100 恭喜发财 / 备注", "skipped", "skipped", "skipped", "line 6: oUser2 100 恭喜发财 / 备注",
            "line 7: openid 100 恭喜发财 / 备注",
        ])
    }

    @Test("a UTF-8 byte order mark is dropped from the first line only")
    func byteOrderMark() {
        #expect(Self.parse(.txt, ["\u{FEFF}oUser1", "\u{FEFF}oUser2"]) == [
            "line 1: oUser1 100 恭喜发财 / 备注", "line 2: openid: must be 1–32 letters and digits (or - _)",
        ])
        #expect(Self.parse(.csv, ["\u{FEFF}openid,amount_fen", "oUser1,300"]) == ["skipped", "line 2: oUser1 300 恭喜发财 / 备注"])
    }

    @Test("TXT: a comma says the file is CSV; a bad openid is refused")
    func textProblems() {
        #expect(Self.parse(.txt, ["oUser1,100", "bad openid!", String(repeating: "o", count: 33)]) == [
            "line 1: openid: has a comma: for CSV name the file .csv or pass --format csv",
            "line 2: openid: must be 1–32 letters and digits (or - _)",
            "line 3: openid: must be 1–32 letters and digits (or - _)",
        ])
    }

    @Test("CSV: per-row amount, wishing and remark over the defaults; quoted commas")
    func csv() {
        #expect(Self.parse(.csv, ["oUser1", "oUser2,250", "oUser3,,\"恭喜, 发财\",r", "oUser4,20000,w", " oUser5 , 100 "]) == [
            "line 1: oUser1 100 恭喜发财 / 备注", "line 2: oUser2 250 恭喜发财 / 备注", "line 3: oUser3 100 恭喜, 发财 / r",
            "line 4: oUser4 20000 w / 备注", "line 5: oUser5 100 恭喜发财 / 备注",
        ])
    }

    @Test("CSV: amounts are whole fen, in the rules' range; never read as yuan")
    func badAmounts() {
        #expect(Self.parse(.csv, ["o1,1.50", "o2,abc", "o3,-5", "o4,99", "o5,20001", "o6,1元", "o7,0", "o8,1234567890123"]) == [
            "line 1: amount_fen: must be whole fen (100 = 1 yuan), not \"1.50\": amounts are never read as yuan",
            "line 2: amount_fen: must be a whole number of fen, like 100 (1 yuan), not \"abc\"",
            "line 3: amount_fen: must be a whole number of fen, like 100 (1 yuan), not \"-5\"",
            "line 4: amount_fen: must be 100–20000 fen (1–200 yuan) without a scene_id",
            "line 5: amount_fen: must be 100–20000 fen (1–200 yuan) without a scene_id",
            "line 6: amount_fen: must be whole fen (100 = 1 yuan), not \"1元\": amounts are never read as yuan",
            "line 7: amount_fen: must be positive",
            "line 8: amount_fen: must be a whole number of fen, like 100 (1 yuan), not \"1234567890123\"",
        ])
    }

    @Test("CSV: without --amount, --wishing or --remark a row must carry them")
    func missingDefaults() {
        let bare = BatchDefaults(appID: "wx8888888888888888", amountFen: nil, actName: "新年", wishing: nil, remark: nil)
        #expect(Self.parse(.csv, ["o1", "o2,100,w,r"], defaults: bare) == [
            "line 1: amount_fen: is missing: give it in the file or with --amount; line 1: wishing: is missing: give it in the file or with --wishing; "
                + "line 1: remark: is missing: give it in the file or with --remark",
            "line 2: o2 100 w / r",
        ])
    }

    @Test("CSV: a header (first field openid) names the columns in any order; unknown or yuan-ish columns are refused")
    func headers() {
        #expect(Self.parse(.csv, ["OPENID,remark", "o1,r1"]) == ["skipped", "line 2: o1 100 恭喜发财 / r1"])
        #expect(Self.parse(.csv, ["openid,amount"]) == ["line 1: header: column amount: amounts are in fen, so name it amount_fen (100 = 1 yuan)"])
        #expect(Self.parse(.csv, ["openid,colour"]) == ["line 1: header: unknown column colour; the columns are openid, amount_fen, wishing, remark"])
        #expect(Self.parse(.csv, ["openid,openid"]) == ["line 1: header: names openid twice"])
        // Only the first row with content can be a header.
        #expect(Self.parse(.csv, ["o1,100", "openid,amount_fen"]) == [
            "line 1: o1 100 恭喜发财 / 备注", "line 2: amount_fen: must be a whole number of fen, like 100 (1 yuan), not \"amount_fen\"",
        ])
    }

    @Test("CSV: too many fields, a malformed quote, bytes that are not UTF-8, a line too long")
    func malformed() {
        #expect(Self.parse(.csv, ["o1,100,w,r,extra", "o2,\"w"]) == [
            "line 1: line: has 5 fields, at most 4 expected (openid, amount_fen, wishing, remark); quote a field that contains a comma",
            "line 2: line: field 2 opens a quote it never closes",
        ])
        #expect(Self.parse(.csv, [[0x6F, 0x31, 0x2C, 0xFF]]) == ["line 1: line: is not valid UTF-8"])
        #expect(Self.parse(.txt, [[0xC3, 0x28]]) == ["line 1: line: is not valid UTF-8"])
        var parser = BatchLineParser(format: .txt, defaults: Self.defaults)
        #expect(Self.describe(parser.parse(BatchRawLine(number: 4, bytes: Array("o1".utf8), tooLong: true)))
            == "line 4: line: is longer than 16384 bytes")
    }

    @Test("with --campaign a line is an openid only: its packet is the campaign's, and a row giving what the campaign sets is refused naming the field")
    func campaignLines() {
        let campaign = UUID(uuidString: "6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10")!
        var txt = BatchLineParser(format: .txt, defaults: BatchDefaults(campaign: campaign))
        #expect(Self.describe(txt.parse(BatchRawLine(number: 1, bytes: Array("oFan1".utf8))))
                == "line 1: oFan1 of campaign 6f1c0e1e-6b7a-4a53-9a3c-0c2d4c3b2a10")
        var csv = BatchLineParser(format: .csv, defaults: BatchDefaults(campaign: campaign))
        #expect(Self.describe(csv.parse(BatchRawLine(number: 1, bytes: Array("oFan2,100,恭喜".utf8))))
                == "line 1: amount_fen: is set by the campaign: leave it out of the file with --campaign; line 1: wishing: is set by the campaign: leave it out of the file with --campaign")
        #expect(Self.describe(txt.parse(BatchRawLine(number: 2, bytes: Array("o/bad".utf8)))).hasPrefix("line 2: openid:"))
    }
}

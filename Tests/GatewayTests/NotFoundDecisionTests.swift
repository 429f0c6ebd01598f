import Foundation
@testable import Payouts
import Testing

/// The reconciler's NOT_FOUND decision as a table: what WeChat's "no such order" about an
/// open send's billno leads to, by how long ago the billno was made and last may have been
/// sent, and whether WeChat refused that last send.
@Suite("NOT_FOUND decision (table)")
struct NotFoundDecisionTests {
    /// Schedule under test: grace 300 s, never-kept grace 1800 s, attention after 29 days.
    static let schedule = ReconcileSchedule(attentionAge: 29 * 24 * 3600, notFoundGrace: 300, neverKeptGrace: 1800)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct Row: Sendable, CustomTestStringConvertible {
        let made: TimeInterval          // seconds before now the billno was made
        let maySend: TimeInterval       // seconds before now it last may have been sent
        let refused: Bool
        let expected: Expected
        enum Expected: Sendable, Equatable { case attention, waitFor(TimeInterval), closeNeverKept, resend }
        var testDescription: String { "made \(Int(made)) s ago, may have been sent until \(Int(maySend)) s ago, last send refused: \(refused)" }
    }

    static let rows: [Row] = [
        // Inside the not-found grace: WeChat may still be processing it.
        Row(made: 100, maySend: 0, refused: false, expected: .waitFor(300)),
        Row(made: 400, maySend: 299, refused: false, expected: .waitFor(1)),
        Row(made: 400, maySend: 299, refused: true, expected: .waitFor(1)),
        // The grace has passed: resend the same billno …
        Row(made: 400, maySend: 300, refused: false, expected: .resend),
        Row(made: 86_400, maySend: 3_600, refused: false, expected: .resend),
        // … unless WeChat refused the last send: query until the never-kept grace, then close.
        Row(made: 4_000, maySend: 300, refused: true, expected: .waitFor(1_500)),
        Row(made: 4_000, maySend: 1_799, refused: true, expected: .waitFor(1)),
        Row(made: 4_000, maySend: 1_800, refused: true, expected: .closeNeverKept),
        // Past the attention window nothing is decided by the clock: a person looks.
        Row(made: 29 * 24 * 3600, maySend: 0, refused: false, expected: .attention),
        Row(made: 29 * 24 * 3600 + 1, maySend: 10_000, refused: true, expected: .attention),
        Row(made: 29 * 24 * 3600 - 1, maySend: 10_000, refused: false, expected: .resend),
    ]

    @Test("each row's times lead to its decision", arguments: rows)
    func decides(_ row: Row) {
        let decision = NotFoundDecision.decide(now: Self.now, billnoCreatedAt: Self.now.addingTimeInterval(-row.made),
                                               maySendUntil: Self.now.addingTimeInterval(-row.maySend), lastSendRefused: row.refused,
                                               schedule: Self.schedule)
        let expected: NotFoundDecision = switch row.expected {
        case .attention: .needsAttention
        case .waitFor(let seconds): .waitUntil(Self.now.addingTimeInterval(seconds))
        case .closeNeverKept: .closeNeverKept
        case .resend: .resend
        }
        #expect(decision == expected)
    }
}

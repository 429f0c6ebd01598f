import Foundation
import OpenAPIRuntime

/// Dates on the wire (`created_at`, `created_gte`, …) as RFC 3339: accepts fractional
/// seconds, offsets and lower-case `t`/`z`, writes UTC with milliseconds. The runtime's
/// default (`.iso8601`) refuses `2025-01-02T03:04:05.123Z`, which RFC 3339 allows.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Self.style)
    }

    func decode(_ text: String) throws -> Date {
        // The format has no other letters than T and Z, so upper-casing is safe.
        guard let date = try? Self.style.parse(text.uppercased()) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 date-time"))
        }
        return date
    }

    /// Parses with and without fractional seconds; formats with milliseconds.
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}

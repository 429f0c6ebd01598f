// BatchClient — `hongbao send-batch` as a library: a file of openids (or CSV rows) sent as
// red packets through the tenant API, each line once, resumable. What a tenant sees is in
// docs/send-batch.md; the `hongbao` executable only parses the flags into `BatchOptions`,
// calls `BatchRun` and prints the `BatchSummary` it returns.
//
// What it owns:
// - Reading the file: `BatchFile` (one descriptor for both passes, so an editor replacing
//   the file cannot mix two versions into one batch), `BatchLineReader` (fixed chunks,
//   hashing every byte; memory bounded by one chunk and one line), `BatchFeed` (slices
//   of lines, parsed off the cooperative pool).
// - Parsing a line: `BatchLineParser` (TXT or CSV, BOM, blank lines, `#` comments, a
//   header row naming the columns) over `CSVFields` (RFC 4180 on one physical line) and
//   `BatchAmount` (whole fen, never yuan); `BatchDefaults.entry` checks the order with
//   the gateway's own `PayoutOrderRules`, so `--dry-run` finds what the API would refuse.
//   `BatchLineParser.parse` takes any bytes (`BatchRawLine`) and always answers: a
//   library function a fuzzer can call.
// - Sending: `BatchRun` (pass 1 checks and hashes, pass 2 sends; Ctrl-C stops starting
//   lines), `BatchDispatcher` (at most `concurrency` in flight), `BatchSender` (one line
//   through `POST /v1/redpacks` with Idempotency-Key batch-<sha256 prefix>-<line>, and
//   the table of what each answer means: retry, record, or stop the batch),
//   `BatchControl` (stop and interrupt), `BatchAPIKey` (a 0600 file or HONGBAO_API_KEY,
//   held as a `Secret`).
// - Reporting: `BatchResultsWriter` (the results CSV, 0600, as lines complete),
//   `BatchTally`, `BatchProgress` (stderr), `BatchSummary` (the table or `--json`),
//   `BatchOutcome` (statuses and their groups, which decide the exit code).
// - `BatchError`: what stops a run, as a usage error (the command exits 2) or a failure
//   (exit 1), in the words the command prints.
//
// What it does not own: flags, help text and exit handling (the executable's
// `SendBatchCommand`, swift-argument-parser, which this module never imports); any
// server code (no Hummingbird: it talks to the gateway over HTTP(S) like any tenant,
// through `Transport`); the field rules themselves (Payouts' `PayoutOrderRules` reading
// WeChatPay's `RedPacketFieldRules`).

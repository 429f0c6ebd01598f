// Audit: the append-only, hash-chained audit trail — the only code that touches
// `audit_log`, `audit_heads` and `audit_append`.
//
// - Writing: `AuditLog.append` (any chain) and `AdminAudit.record` (the admin chain) on the
//   caller's connection, or `AuditLog.appendStatement`/`appendAboutPayoutRow` inside a
//   payout's pipeline, so a record commits or rolls back with the change it describes.
//   The chain arithmetic is migration 0004's `audit_append`, the only writer.
// - Chains: `AuditChains` (a tenant's 16 payout stripes), `AuditLog.adminChain`,
//   `AuditLog.merchantChain`.
// - Verifying: `AuditVerifier` re-derives every SHA-256 independently (full, or the latest
//   records and every head, `AuditVerifier+Recent`).
// - Anchoring: `AuditCheckpoint` signs every chain's head with an Ed25519 key
//   (`AuditSigningKey`) kept away from the database, so an owner who rewrites the log
//   consistently is still caught at the checkpoint. `WriteOnceFile` writes keys and
//   checkpoints without ever replacing a file.
//
// Reading: `AuditRecords` (the latest, a payout's, those after an id).
//
// Depends on Postgres (and Transport for reading a secret file); every other module that
// writes or reads the trail goes through here.

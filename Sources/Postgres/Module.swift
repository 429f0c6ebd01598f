// Postgres — the project's only way to PostgreSQL: a small, safe wrapper over libpq.
//
// What it owns:
// - `PostgresConfiguration`: where the database is (`DATABASE_URL`, URI or conninfo,
//   else libpq's standard `PG*` variables).
// - `PostgresConnection`: one libpq connection. Every call on it blocks, so it is only
//   ever used on the dedicated thread of the `ConnectionSlot` that owns it.
// - `PostgresPool`: a fixed number of slots (connection + its own thread), a bounded
//   wait with a timeout error, liveness checks that replace broken connections, and
//   `transaction` (commit on return, roll back on throw, bounded retry of 40001/40P01).
// - Typed binding: `PostgresEncodable`/`PostgresDecodable` in the binary protocol for
//   integers, Bool, Double, String, Date (timestamptz), `PostgresDate`, UUID, bytea,
//   `PostgresJSON`, text[] and Optional (NULL). Parameters are always `$n`, never spliced.
// - `PostgresListener`: LISTEN/NOTIFY on a connection and thread of its own.
// - `Migrator`: `migrations/NNNN_name.sql`, in order, each once, under an advisory lock.
//
// Threading choice: dedicated threads, not libpq's non-blocking API. A transaction body
// is synchronous Swift run on the slot's thread, so a whole transaction costs one hop
// between the caller's task and that thread, and no blocking call ever runs on a NIO
// event loop or on Swift's cooperative pool. Threads == connections, so the pool's size
// bounds both.

// Schema — the database schema hongbao needs, carried in the binary.
//
// What it owns:
// - `Schema.migrator`: every migration in migrations/, compiled in byte for byte
//   (EmbeddedMigrations.swift, written by scripts/migrations-embed.py), so `hongbao migrate`
//   and `serve`'s readiness check work from any folder — an installed release has no
//   migrations/ beside it. Each migration's checksum is its file's, so a database migrated
//   from the files and one migrated from the binary record the same rows in
//   schema_migrations, and either kind of run accepts the other's work.
//
// The files stay the source: a migration is written in migrations/, then the generator is
// run; EmbeddedMigrationsTests fails while the two differ. `--migrations <dir>` (or
// HONGBAO_MIGRATIONS_DIR) still reads a folder instead, for development.
import Postgres

public enum Schema {
    /// The migrations this build was made with.
    public static let migrator = Migrator(migrations: embeddedMigrations)
}

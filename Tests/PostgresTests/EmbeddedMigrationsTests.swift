import Foundation
import Postgres
import Schema
import Testing
import TestSupport

/// The binary's migrations are migrations/ byte for byte (issue 20: a release runs from any
/// folder). When one fails, run `python3 scripts/migrations-embed.py`.
@Suite("Embedded migrations")
struct EmbeddedMigrationsTests {
    let folder = Repository.root.appendingPathComponent("migrations")

    @Test("every file in migrations/ is built in with the same name and the same bytes, and nothing else is")
    func sameBytesAsTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Schema.migrator.migrations.map(\.name) == files, "run python3 scripts/migrations-embed.py")
        for migration in Schema.migrator.migrations {
            let onDisk = try Data(contentsOf: folder.appendingPathComponent(migration.name))
            #expect(Data(migration.sql.utf8) == onDisk, "\(migration.name) differs from its file: run python3 scripts/migrations-embed.py")
        }
    }

    @Test("a database migrated from the files is current for the built-in migrations, and the other way round")
    func interchangeable() async throws {
        let fromFiles = try await TestDatabase.pool("embedfiles")
        defer { fromFiles.close() }
        try await Migrator(directory: folder).migrate(fromFiles)
        #expect(try await Schema.migrator.migrate(fromFiles) == [])
        #expect(try await Schema.migrator.isCurrent(fromFiles))

        let fromBinary = try await TestDatabase.pool("embedbinary")
        defer { fromBinary.close() }
        let applied = try await Schema.migrator.migrate(fromBinary)
        #expect(applied.count == Schema.migrator.migrations.count)
        #expect(try await Migrator(directory: folder).isCurrent(fromBinary))
    }
}

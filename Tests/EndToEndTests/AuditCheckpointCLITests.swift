import Audit
import Foundation
import Payouts
import Merchants
import Postgres
import Testing
import TestSupport

/// `hongbao audit keygen|checkpoint|verify --checkpoint` and `serve --audit-checkpoint-dir`
/// as operators and outside verifiers use them. The signature and key id are checked with
/// openssl from the documented forms, not with the code that made them.
@Suite("hongbao audit keygen, checkpoint and verify --checkpoint")
struct AuditCheckpointCLITests {
    /// A fresh directory for keys and checkpoints.
    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hb-audit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// keygen into `directory`; the paths of the private and public key.
    func keygen(in directory: URL, name: String = "signing") async throws -> (privateKey: String, publicKey: String) {
        let (privateKey, publicKey) = (directory.appendingPathComponent("\(name).pem").path, directory.appendingPathComponent("\(name).pub.pem").path)
        let run = try await Hongbao.run(["audit", "keygen", "--private-key", privateKey, "--public-key", publicKey])
        try #require(run.status == 0, "keygen: \(run.err)")
        return (privateKey, publicKey)
    }

    /// The documented signed text, rebuilt here from the JSON alone (docs/operations.md).
    func documentedSignedText(_ json: [String: Any]) throws -> String {
        let keyID = try #require(json["key_id"] as? String), createdAt = try #require(json["created_at"] as? String)
        let chains = try #require(json["chains"] as? [[String: Any]]).map { ($0["chain"] as! String, $0["seq"] as! Int, $0["hash"] as! String) }
            .sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        return "hongbao.audit.checkpoint v1\nkey_id \(keyID)\ncreated_at \(createdAt)\nchains \(chains.count)\n"
            + chains.map { "\($0.0.utf8.count):\($0.0) \($0.1) \($0.2)\n" }.joined()
    }

    @Test("keygen writes a 0600 PKCS#8 private key and its public key as openssl reads them, prints neither, and refuses when either file exists")
    func keygenFiles() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (privateKey, publicKey) = (directory.appendingPathComponent("k.pem").path, directory.appendingPathComponent("k.pub.pem").path)
        let run = try await Hongbao.run(["audit", "keygen", "--private-key", privateKey, "--public-key", publicKey])
        #expect(run.status == 0, "\(run.err)")
        #expect(try mode(privateKey) == 0o600)
        let privatePEM = try String(contentsOfFile: privateKey, encoding: .utf8)
        #expect(privatePEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let body = privatePEM.split(separator: "\n")[1]
        #expect(!run.out.contains(body) && !run.err.contains(body), "the private key is never printed")

        // openssl derives the same public key, and the key id is SHA-256 of the raw key's first 16 hex digits.
        let derived = try await Shell.run(["openssl", "pkey", "-in", privateKey, "-pubout"])
        let written = try String(contentsOfFile: publicKey, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(derived.status == 0 && derived.output == written)
        let keyID = try await Shell.run(["bash", "-c", "openssl pkey -pubin -in '\(publicKey)' -outform DER | tail -c 32 | sha256sum | cut -c1-16"])
        #expect(keyID.status == 0 && keyID.output.count == 16 && run.out.contains("audit signing key \(keyID.output):"), "\(run.out)")

        let (freshPrivate, freshPublic) = (directory.appendingPathComponent("new.pem").path, directory.appendingPathComponent("new.pub.pem").path)
        for (arguments, existing) in [(["--private-key", privateKey, "--public-key", freshPublic], privateKey),
                                      (["--private-key", freshPrivate, "--public-key", publicKey], publicKey)] {
            let again = try await Hongbao.run(["audit", "keygen"] + arguments)
            #expect(again.status == 1 && again.err.contains("\(existing) exists"), "\(again.err)")
            #expect(!FileManager.default.fileExists(atPath: freshPrivate) && !FileManager.default.fileExists(atPath: freshPublic), "nothing is written when one file exists")
        }
        #expect(try String(contentsOfFile: privateKey, encoding: .utf8) == privatePEM, "the existing key is untouched")
    }

    @Test("checkpoint signs the heads as documented (openssl verifies it); verify --checkpoint exits 0, 1 naming the chain and record, 2 for a checkpoint not to trust")
    func checkpointAndVerify() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (url, pool) = try await TestDatabase.migratedDatabase("cli-checkpoint")
        defer { pool.close() }
        try await pool.transaction { c in
            for i in 0..<39 { try AuditLog.append(c, chain: "tenant:cli:\(i % 3)", actor: "test", action: "probe.\(i)", detail: PostgresJSON(encoding: ["i": String(i)])) }
        }
        let environment: [String: String?] = ["DATABASE_URL": try await TestDatabase.appURL(url)]
        func hongbao(_ arguments: [String]) async throws -> Hongbao.Run { try await Hongbao.run(arguments, environment: environment) }
        let (privateKey, publicKey) = try await keygen(in: directory)

        // To stdout: the documented JSON, whose signature openssl checks over the documented text.
        let printed = try await hongbao(["audit", "checkpoint", "--signing-key", privateKey])
        #expect(printed.status == 0, "\(printed.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(printed.out.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "hongbao.audit.checkpoint" && json["version"] as? Int == 1)
        let chains = try #require(json["chains"] as? [[String: Any]])
        #expect(chains.map { $0["chain"] as? String } == ["tenant:cli:0", "tenant:cli:1", "tenant:cli:2"] && chains.allSatisfy { $0["seq"] as? Int == 13 })
        let message = directory.appendingPathComponent("signed.txt"), signature = directory.appendingPathComponent("signature.bin")
        try Data(try documentedSignedText(json).utf8).write(to: message)
        let signatureText = try #require(json["signature"] as? String)
        try #require(Data(base64Encoded: signatureText)).write(to: signature)
        let openssl = try await Shell.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", message.path, "-sigfile", signature.path])
        #expect(openssl.status == 0 && openssl.output.contains("Signature Verified Successfully"), "\(openssl.output)")

        // To a new file, read-only; never over an existing one.
        let file = directory.appendingPathComponent("checkpoint.json").path
        let written = try await hongbao(["audit", "checkpoint", "--signing-key", privateKey, "--out", file])
        #expect(written.status == 0 && written.out.contains("checkpoint of 3 chains"), "\(written.err)")
        #expect(try mode(file) == 0o444)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        let overwrite = try await hongbao(["audit", "checkpoint", "--signing-key", privateKey, "--out", file])
        #expect(overwrite.status == 1 && overwrite.err.contains("\(file) exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == before)

        let ok = try await hongbao(["audit", "verify", "--checkpoint", file, "--public-key", publicKey])
        #expect(ok.status == 0 && ok.out.hasPrefix("ok: 39 records in 3 chains verify and hold to the checkpoint of ") && ok.out.contains("(3 chains, key "), "\(ok.out)\(ok.err)")
        let okJSON = try #require(try JSONSerialization.jsonObject(with: Data(try await hongbao(["audit", "verify", "--checkpoint", file, "--public-key", publicKey, "--json"]).out.utf8)) as? [String: Any])
        let anchor = try #require(okJSON["checkpoint"] as? [String: Any])
        #expect(anchor["chains"] as? Int == 3 && anchor["key_id"] as? String == json["key_id"] as? String && anchor["created_at"] is String)
        let plainJSON = try #require(try JSONSerialization.jsonObject(with: Data(try await hongbao(["audit", "verify", "--json"]).out.utf8)) as? [String: Any])
        #expect(Set(plainJSON.keys) == ["chains", "records"] && plainJSON["records"] as? Int == 39, "plain verify --json keeps its shape")

        // The owner shortens a chain and moves its head back: plain verify cannot tell, the checkpoint can.
        try await pool.withConnection { c in
            try c.execute(script: """
                ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                DELETE FROM audit_log WHERE chain = 'tenant:cli:1' AND seq > 10;
                UPDATE audit_heads SET seq = 10, hash = (SELECT hash FROM audit_log WHERE chain = 'tenant:cli:1' AND seq = 10) WHERE chain = 'tenant:cli:1';
                ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only
                """)
        }
        let plain = try await hongbao(["audit", "verify"])
        #expect(plain.status == 0 && plain.out == "ok: 36 records in 3 chains verify\n", "plain verify: same output and exit code as before")
        let broken = try await hongbao(["audit", "verify", "--checkpoint", file, "--public-key", publicKey])
        #expect(broken.status == 1 && broken.err.hasPrefix("broken: chain tenant:cli:1 seq 11: ") && broken.err.contains("records 11…13 were removed"), "\(broken.err)")
        let brokenJSON = try await hongbao(["audit", "verify", "--checkpoint", file, "--public-key", publicKey, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(brokenJSON.out.utf8)) as? [String: Any])
        #expect(brokenJSON.status == 1 && (report["broken"] as? [String: Any])?["chain"] as? String == "tenant:cli:1" && (report["broken"] as? [String: Any])?["seq"] as? Int == 11)

        // A checkpoint edited to match (the chain's seq lowered), or checked with another key: exit 2.
        var edited = json
        edited["chains"] = chains.map { $0["chain"] as? String == "tenant:cli:1" ? $0.merging(["seq": 10]) { $1 } : $0 }
        let forged = directory.appendingPathComponent("forged.json")
        try JSONSerialization.data(withJSONObject: edited).write(to: forged)
        let tampered = try await hongbao(["audit", "verify", "--checkpoint", forged.path, "--public-key", publicKey])
        #expect(tampered.status == 2 && tampered.err.contains("is not trusted") && tampered.err.contains("signature is invalid"), "\(tampered.err)")
        let (_, otherPublicKey) = try await keygen(in: directory, name: "other")
        let wrongKey = try await hongbao(["audit", "verify", "--checkpoint", file, "--public-key", otherPublicKey])
        #expect(wrongKey.status == 2 && wrongKey.err.contains("is not trusted") && wrongKey.err.contains("not by the given public key"), "\(wrongKey.err)")
        let gone = try await hongbao(["audit", "verify", "--checkpoint", directory.appendingPathComponent("gone.json").path, "--public-key", publicKey])
        #expect(gone.status == 2 && gone.err.contains("cannot be checked: cannot read the checkpoint file"), "\(gone.err)")
        let alone = try await hongbao(["audit", "verify", "--checkpoint", file])
        #expect(alone.status == 64 && alone.err.contains("--checkpoint and --public-key go together"))

        // A signing key others may read is refused, and nothing is printed.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: privateKey)
        let loose = try await hongbao(["audit", "checkpoint", "--signing-key", privateKey])
        #expect(loose.status == 1 && loose.err.contains("chmod 600") && loose.out.isEmpty, "\(loose.err)")
    }

    @Test("serve writes a verifiable checkpoint at start and every --audit-checkpoint-interval; a lone flag or a missing key stops it before it starts")
    func serveWritesCheckpoints() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("checkpoints")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let (privateKey, publicKey) = try await keygen(in: directory)

        let lone = try await Hongbao.run(["serve", "--audit-checkpoint-dir", out.path])
        #expect(lone.status == 64 && lone.err.contains("--audit-checkpoint-dir and --audit-signing-key go together"), "\(lone.err)")
        let missing = directory.appendingPathComponent("missing.pem").path
        let noKey = try await Hongbao.run(["serve", "--audit-checkpoint-dir", out.path, "--audit-signing-key", missing])
        #expect(noKey.status == 1 && noKey.err.contains("audit signing key: cannot read file \(missing)"), "\(noKey.err)")

        let (url, pool) = try await TestDatabase.migratedDatabase("cli-serve-checkpoint")
        defer { pool.close() }
        let environment: [String: String?] = ["DATABASE_URL": try await TestDatabase.appURL(url)]
        try await pool.transaction { c in try AdminAudit.record(c, actor: "test", action: "probe") }
        let fixture = try MerchantFixture()
        try fixture.add("a", mchId: "1900000101")
        let gateway = try await GatewayProcess(arguments: ["--merchants", fixture.directory.path, "--audit-checkpoint-dir", out.path,
                                                           "--audit-signing-key", privateKey, "--audit-checkpoint-interval", "1"], environment: environment)
        var files: [String] = []
        _ = try await waitFor(timeout: .seconds(30), every: .milliseconds(100)) { // 30 s: a loaded machine
            files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".json") }.sorted()
            return files.count >= 2
        }
        await gateway.stopped()
        #expect(files.count >= 2, "checkpoints written: \(files); log: \(gateway.log.suffix(2000))")
        for name in files {
            let path = out.appendingPathComponent(name).path
            let fileMode = try mode(path)
            #expect(name.hasPrefix("audit-checkpoint-") && fileMode == 0o444)
            let verified = try await Hongbao.run(["audit", "verify", "--checkpoint", path, "--public-key", publicKey], environment: environment)
            #expect(verified.status == 0 && verified.out.contains("hold to the checkpoint of") && verified.out.contains("(1 chains, key "), "\(name): \(verified.out)\(verified.err)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { $0.hasSuffix(".json") }, "no temporary files left behind")
    }
}

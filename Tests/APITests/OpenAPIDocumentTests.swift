@testable import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

/// (g) openapi.yaml is served at `GET /openapi.yaml`, and the committed generated code
/// is the code openapi.yaml generates.
@Suite("openapi.yaml")
struct OpenAPIDocumentTests {
    static let file = Repository.root.appendingPathComponent("openapi.yaml")

    @Test("GET /openapi.yaml serves openapi.yaml byte for byte, as application/yaml with its digest as ETag")
    func served() async throws {
        let onDisk = try Data(contentsOf: Self.file)
        try await TenantAPIFixture().app().test(.router) { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml; charset=utf-8")
            #expect(response.headers[.eTag] == "\"\(OpenAPIDocument.sha256Hex(Array(onDisk)))\"")
            #expect(Data(buffer: response.body) == onDisk)
        }
    }

    @Test("the generated code is current: regenerate with scripts/openapi-generate.sh after editing openapi.yaml")
    func generatedFromThisDocument() throws {
        let onDisk = try Data(contentsOf: Self.file)
        let digest = OpenAPIDocument.sha256Hex(Array(onDisk))
        #expect(OpenAPIDocument.generatedFromSHA256 == digest, "openapi.yaml changed since Sources/API/Generated was generated: run scripts/openapi-generate.sh")
        #expect(OpenAPIDocument.sha256 == digest, "the embedded document differs from openapi.yaml")
        let generated = Repository.root.appendingPathComponent("Sources/API/Generated")
        let files = try FileManager.default.contentsOfDirectory(atPath: generated.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 3)
        for name in files {
            let text = try String(contentsOf: generated.appendingPathComponent(name), encoding: .utf8)
            #expect(text.prefix(400).contains("sha256 \(digest)"), "\(name) was generated from another openapi.yaml")
        }
    }

    @Test("every problem code is documented in openapi.yaml")
    func codesDocumented() {
        for code in ProblemCode.allCases {
            #expect(OpenAPIDocument.yaml.contains("`\(code.rawValue)`"), "\(code.rawValue) is not in openapi.yaml")
        }
    }
}

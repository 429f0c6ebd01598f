import Crypto
import Foundation
import SwiftASN1
import X509

/// The simulator's certificate authority: signs its own server certificate and one
/// client certificate per merchant. Keys are P-256; nothing here is ever a real secret.
public struct SimulatorCA: Sendable {
    public let certificatePEM: String
    let keyPEM: String

    /// A PEM certificate and its PEM (PKCS#8) private key.
    public struct Issued: Sendable, Codable {
        public let certificatePEM: String
        public let keyPEM: String

        public init(certificatePEM: String, keyPEM: String) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    public static func generate() throws -> SimulatorCA {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("hongbao simulator")
            CommonName("hongbao simulator CA")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(20 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        return SimulatorCA(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    public init(certificatePEM: String, keyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    /// The server certificate, valid for `localhost` and `127.0.0.1`.
    public func issueServer() throws -> Issued {
        try issue(commonName: "localhost", usage: .serverAuth, names: [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
    }

    /// A client certificate whose common name is the merchant id.
    public func issueClient(merchantID: String, validFor: TimeInterval = 5 * 365 * 86_400) throws -> Issued {
        try issue(commonName: merchantID, usage: .clientAuth, names: [], validFor: validFor)
    }

    private func issue(commonName: String, usage: ExtendedKeyUsage.Usage, names: [GeneralName], validFor: TimeInterval = 5 * 365 * 86_400) throws -> Issued {
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        let caCertificate = try Certificate(pemEncoded: certificatePEM)
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName {
            OrganizationName("hongbao simulator")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validFor),
            issuer: caCertificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(caKey))
        return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    /// DER bytes of a PEM certificate (the key the endpoint uses to recognise clients).
    static func der(of pem: String) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(try Certificate(pemEncoded: pem))
        return serializer.serializedBytes
    }
}

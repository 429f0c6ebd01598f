import Foundation
import X509

/// Parses a merchant's API certificate and private key (PEM) and proves they belong
/// together and are in date. Errors name the problem, never the key material.
public enum CertificateCheck {
    public struct Problem: Error, Sendable, Equatable {
        public let field: String
        public let reason: String
    }

    public static func verify(certificatePEM: String, keyPEM: String, now: Date = Date()) throws(Problem) -> CertificateSummary {
        let certificate: Certificate
        do { certificate = try Certificate(pemEncoded: certificatePEM) } catch {
            throw Problem(field: "cert", reason: "not a PEM certificate (\(error))")
        }
        let key: Certificate.PrivateKey
        do { key = try Certificate.PrivateKey(pemEncoded: keyPEM) } catch {
            throw Problem(field: "key", reason: "not a PEM private key (RSA, ECDSA or Ed25519)")
        }
        guard key.publicKey == certificate.publicKey else {
            throw Problem(field: "key", reason: "private key does not match the certificate")
        }
        guard certificate.notValidAfter > now else {
            throw Problem(field: "cert", reason: "certificate expired on \(certificate.notValidAfter.formatted(.iso8601))")
        }
        guard certificate.notValidBefore <= now else {
            throw Problem(field: "cert", reason: "certificate is not valid before \(certificate.notValidBefore.formatted(.iso8601))")
        }
        return CertificateSummary(subject: certificate.subject.description, notValidAfter: certificate.notValidAfter)
    }
}

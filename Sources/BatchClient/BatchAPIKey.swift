import Foundation
import Payouts
import Merchants
import Tenants
import Transport

/// The tenant's API key, from a file (mode 0600, like every secret file hongbao reads) or
/// the HONGBAO_API_KEY variable — never a flag, where `ps` and shell history would keep it.
/// It is checked for shape locally and held as a `Secret`, so no message can print it.
enum BatchAPIKey {
    static let variable = "HONGBAO_API_KEY"

    static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(BatchError) -> (key: Secret, mode: MerchantMode) {
        let text: String
        let source: String
        if let file {
            var info = stat()
            guard stat(file, &info) == 0 else { throw BatchError("cannot read the API key file \(file): \(String(cString: strerror(errno)))") }
            guard info.st_mode & 0o077 == 0 else {
                throw BatchError("the API key file \(file) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(file)")
            }
            guard let data = FileManager.default.contents(atPath: file) else { throw BatchError("cannot read the API key file \(file)") }
            text = String(decoding: data, as: UTF8.self)
            source = "the API key file \(file)"
        } else if let value = environment[variable], !value.isEmpty {
            text = value
            source = variable
        } else {
            throw BatchError("no API key: pass --api-key-file PATH (a file of mode 0600) or set \(variable)")
        }
        guard let key = APIKey(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw BatchError("\(source) does not hold a hongbao API key (hb_live_… or hb_test_…, as `hongbao key issue` prints it)")
        }
        return (Secret(key.text), key.mode)
    }
}

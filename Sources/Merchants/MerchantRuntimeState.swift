import Foundation

/// What operators and the engine changed at run time, per entity (PostgreSQL-backed).
public struct MerchantRuntimeState: Sendable, Equatable {
    public var enabled: Bool
    public var reason: String?
    /// Routed around until then, after a configuration failure (NOTENOUGH, NO_AUTH …).
    public var cooldownUntil: Date?
    public var cooldownCode: String?

    public static let `default` = MerchantRuntimeState(enabled: true, reason: nil, cooldownUntil: nil, cooldownCode: nil)

    public init(enabled: Bool, reason: String?, cooldownUntil: Date?, cooldownCode: String?) {
        self.enabled = enabled
        self.reason = reason
        self.cooldownUntil = cooldownUntil
        self.cooldownCode = cooldownCode
    }
}

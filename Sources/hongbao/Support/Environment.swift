import Foundation

/// Defaults read from the environment (a flag given on the command line wins).
enum Environment {
    static func int(_ name: String) -> Int? { ProcessInfo.processInfo.environment[name].flatMap { Int($0) } }
}

/// What kind of WeChat application an appid belongs to (reference §4.3). Red packets
/// go to official-account users (sendredpack) or mini-program users
/// (sendminiprogramhb); mobile-app appids cannot send at all (ILLEGAL_APPID).
public enum AppIDType: String, Sendable, Codable, CaseIterable {
    case officialAccount = "mp"
    case miniProgram = "miniprogram"
    case app
}

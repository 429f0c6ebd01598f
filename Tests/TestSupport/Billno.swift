/// The `n`th bill number of a merchant on one fixed day (28 characters, as WeChat wants):
/// simulator tests in and out of process number their sends alike.
public func billno(_ n: Int, mch: String = "1900000109") -> String {
    let digits = String(n)
    return mch + "20261129" + String(repeating: "0", count: 10 - digits.count) + digits
}

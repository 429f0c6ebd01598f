import Foundation

/// One billno of a payout, on the merchant number it was made for.
struct SendRef: Sendable, Equatable {
    let mchID: String
    let billno: String

    init(mchID: String, billno: String) {
        self.mchID = mchID
        self.billno = billno
    }

    /// The payout's current billno.
    init(_ payout: Payout) {
        self.init(mchID: payout.mchID, billno: payout.billno)
    }
}

import YibaoCore

/// Every FSI transaction the platform offers, one case each: a transaction added here is a
/// compile error until ``FSITransactions/run(_:store:now:)`` routes it (no `default:` runs anything).
package enum FSITransaction: String, CaseIterable, Sendable {
    case signIn = "9001"
    case personInfo = "1101"
    case register = "2201"
    case cancelRegistration = "2202"
    case visitInfo = "2203"
    case uploadDetails = "2204"
    case cancelDetails = "2205"
    case preSettle = "2206"
    case settle = "2207"
    case cancelSettlement = "2208"
    case reconcile = "3201"
    case declare = "3203"
}

/// An FSI transaction as the use cases see it — which one, which message, who asks, the business
/// `input` — once the gateway has authenticated the envelope and unwrapped its dialect.
package struct FSICall: Sendable {
    package let transaction: FSITransaction
    package let msgid: String
    package let institutionCode: String
    package let input: Fields

    package init(transaction: FSITransaction, msgid: String, institutionCode: String, input: Fields) {
        self.transaction = transaction
        self.msgid = msgid
        self.institutionCode = institutionCode
        self.input = input
    }

    /// The transaction code, e.g. `2207`.
    package var infno: String { transaction.rawValue }
}

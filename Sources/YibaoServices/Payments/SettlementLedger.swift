import Foundation
import YibaoCore
import YibaoStore

/// What a settlement moves, once for both channels: mobile payment (6202, reversed by 6203) and
/// FSI outpatient settlement (2207, reversed by 2208). Posting debits the personal account, adds the
/// deductible used and the fund paid to the person's year (PY-4, PY-5) and marks the prescriptions
/// settled (SV-6); reversing gives each back.
package struct SettlementPosting: Sendable {
    package var psnNo: String
    /// Who settled it: the payment order or the FSI settlement id (a prescription's `settledBy`).
    package var settledBy: String
    /// The year whose counters it counts in (the year it was settled).
    package var year: Int
    package var accountFen: Int64
    package var deductibleFen: Int64
    package var fundFen: Int64
    package var prescriptions: [String]

    package init(psnNo: String, settledBy: String, year: Int, accountFen: Int64, deductibleFen: Int64, fundFen: Int64, prescriptions: [String]) {
        self.psnNo = psnNo
        self.settledBy = settledBy
        self.year = year
        self.accountFen = accountFen
        self.deductibleFen = deductibleFen
        self.fundFen = fundFen
        self.prescriptions = prescriptions
    }
}

package enum SettlementLedger {
    /// Posts `posting` for `person` (whose account balance it debits and saves); the year's counters
    /// start from `used` (read when the split was computed, in the same transaction).
    package static func post(_ posting: SettlementPosting, person: inout InsuredPerson, used: (deductibleUsedFen: Int64, fundPaidFen: Int64),
                             store: any StoreWriting) async throws {
        person.accountBalanceFen -= posting.accountFen
        try await store.save(person)
        try await store.savePersonYear(psnNo: posting.psnNo, year: posting.year, deductibleUsedFen: used.deductibleUsedFen + posting.deductibleFen,
                                       fundPaidFen: used.fundPaidFen + posting.fundFen)
        for number in Set(posting.prescriptions) {
            if var record = try await store.prescription(hiRxno: number) {
                record.settledBy = posting.settledBy
                try await store.save(record)
            }
        }
    }

    /// Gives back what `posting` moved (a full reversal, or a partial refund's account and fund shares
    /// with `prescriptions` empty and `deductibleFen` 0): the account credited, the year's counters
    /// reduced (never below zero), the prescriptions settled by it free again.
    package static func reverse(_ posting: SettlementPosting, store: any StoreWriting, pointer: String) async throws {
        if posting.accountFen > 0, var person = try await store.person(psnNo: posting.psnNo) {
            person.accountBalanceFen = try Money.add(posting.accountFen, to: person.accountBalanceFen, pointer: pointer,
                                                     what: "returning the account share to the personal account")
            try await store.save(person)
        }
        let used = try await store.personYear(psnNo: posting.psnNo, year: posting.year)
        try await store.savePersonYear(psnNo: posting.psnNo, year: posting.year, deductibleUsedFen: max(0, used.deductibleUsedFen - posting.deductibleFen),
                                       fundPaidFen: max(0, used.fundPaidFen - posting.fundFen))
        for number in Set(posting.prescriptions) {
            if var record = try await store.prescription(hiRxno: number), record.settledBy == posting.settledBy {
                record.settledBy = nil
                try await store.save(record)
            }
        }
    }
}

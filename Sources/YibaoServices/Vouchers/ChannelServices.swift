import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// What an authorised channel (the national app, a wallet: ID-2) does for its user.
package enum ChannelAction: Sendable, CaseIterable {
    /// Activates the person's e-voucher, the name checked against the register (ID-3).
    case activate
    /// Shows a dynamic QR code of an activated e-voucher.
    case qrCode
    /// Authorises an institution for online payment (the wallet's authCode).
    case authorise
}

/// The e-voucher channel's use cases; the channel is authenticated by the gateway.
package struct ChannelServices: Sendable {
    let vouchers: VoucherPolicy

    package init(vouchers: VoucherPolicy) { self.vouchers = vouchers }

    package func run(_ action: ChannelAction, data: Fields, channel: String, store: any StoreWriting, now: Date) async throws -> JSONValue {
        let certno = try data.string("certno", "the insured person's resident ID number")
        guard var person = try await store.person(certno: certno) else {
            throw DomainError(.personUnknown, .notFound, rule: .id1, pointer: "/certno", "no insured person with this resident ID number")
        }
        try person.requireRealName(pointer: "/certno")
        switch action {
        case .activate:
            let name = try data.string("name")
            guard name == person.name else {
                throw DomainError(.personNameMismatch, .forbidden, rule: .id3, pointer: "/name",
                                  "the name does not match the insured person's registered name; correct the information first")
            }
            person.voucherActivated = true
            try await store.save(person)
            try await store.appendTrace(TraceEvent(at: now, kind: "channel.ec.activate", actor: channel, subject: person.psnNo))
            return .object(["activated": .bool(true), "ecIndexNo": .string(ECIndex.number(for: person))])
        case .qrCode:
            try Self.requireActivated(person)
            let qr = VoucherQRCode(code: "ECQR" + TokenGenerator.hex(bytes: 16), psnNo: person.psnNo, channel: channel, issuedAt: now,
                                   expiresAt: now.addingTimeInterval(TimeInterval(vouchers.qrCodeLifetimeSeconds)))
            try await store.save(qr)
            try await store.appendTrace(TraceEvent(at: now, kind: "channel.ec.qrcode", actor: channel, subject: person.psnNo))
            return .object(["qrCode": .string(qr.code), "expireTime": .string(Timestamps.fsi(qr.expiresAt))])
        case .authorise:
            try Self.requireActivated(person)
            let orgCodg = try data.string("orgCodg", "the institution the patient authorises")
            guard try await store.institution(code: orgCodg) != nil else {
                throw DomainError(.institutionUnknown, .notFound, rule: .ag1, pointer: "/orgCodg", "no institution \(orgCodg)")
            }
            let authorisation = WalletAuthorisation(authCode: "AC" + TokenGenerator.hex(bytes: 12), psnNo: person.psnNo, institutionCode: orgCodg,
                                                    issuedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(vouchers.authCodeLifetimeSeconds)))
            try await store.save(authorisation)
            try await store.appendTrace(TraceEvent(at: now, kind: "channel.wallet.authorize", actor: channel, subject: person.psnNo, payload: ["orgCodg": orgCodg]))
            return .object(["authCode": .string(authorisation.authCode), "expireTime": .string(Timestamps.fsi(authorisation.expiresAt))])
        }
    }

    static func requireActivated(_ person: InsuredPerson) throws {
        guard person.voucherActivated else {
            throw DomainError(.voucherNotActivated, .forbidden, rule: .id2, pointer: "/certno",
                              "the person's e-voucher is not activated; activate it through an authorised channel first (POST /channel/ec/activate)")
        }
    }
}

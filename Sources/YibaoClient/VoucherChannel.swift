import AsyncHTTPClient
import Foundation
import YibaoCore
import YibaoCrypto

/// The patient's side: the authorised e-voucher channel (the national medical-insurance app,
/// simulated by the gateway, ID-2). Shows the dynamic QR code and authorises online payment.
public struct VoucherChannel: Sendable {
    public let baseURL: String
    public let token: String
    /// Sees every exchange (the conformance tester's HAR recording); nil by default.
    public var observer: (any HTTPExchangeObserver)?
    let http: HTTPClient

    public init(baseURL: String, token: String, httpClient: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = httpClient
    }

    /// A fresh QR code for the person with resident ID `certno`; returns its content and expiry.
    public func qrCode(certno: String) async throws -> (code: String, expireTime: String) {
        let answer = try await HTTP.post(http, url: baseURL + "/channel/ec/qrcode", body: Array(JSONValue.object(["certno": .string(certno)]).serialized().utf8), bearer: token, observer: observer)
        guard let code = answer.objectValue?["qrCode"]?.stringValue else { throw YibaoClientError.invalidResponse("no qrCode in the channel's answer") }
        return (code, answer.objectValue?["expireTime"]?.stringValue ?? "")
    }

    /// The patient authorises institution `orgCodg` for online payment; returns the authCode.
    public func authorise(certno: String, orgCodg: String) async throws -> String {
        let answer = try await HTTP.post(http, url: baseURL + "/channel/wallet/authorize",
                                         body: Array(JSONValue.object(["certno": .string(certno), "orgCodg": .string(orgCodg)]).serialized().utf8), bearer: token, observer: observer)
        guard let code = answer.objectValue?["authCode"]?.stringValue else { throw YibaoClientError.invalidResponse("no authCode in the channel's answer") }
        return code
    }

    /// Activates the person's e-voucher (the name must match the registered one, ID-3).
    public func activate(certno: String, name: String) async throws {
        _ = try await HTTP.post(http, url: baseURL + "/channel/ec/activate",
                                body: Array(JSONValue.object(["certno": .string(certno), "name": .string(name)]).serialized().utf8), bearer: token, observer: observer)
    }
}

import Foundation
import YibaoCrypto

/// The web console's sign-in (docs/GATEWAY.md §14): whoever gives the admin token gets a session
/// cookie. The cookie holds its expiry and an HMAC-SHA256 of it under a key derived from the
/// admin token — never the token — so it is valid on every gateway process that shares the token,
/// and changing the token signs everyone out. Each form carries a token bound to the session
/// (CSRF), besides the cookie being `SameSite=Strict`.
struct ConsoleSession: Sendable {
    static let cookieName = "yibao_console"
    /// How long a session lasts (real time: the test clock does not end sessions).
    static let lifetime: TimeInterval = 8 * 3600
    private let key: [UInt8]

    init(adminToken: String) {
        key = (try? HMAC.sha256(key: Array(adminToken.utf8), message: Array("yibao-console-session/1".utf8))) ?? []
    }

    /// A new session's cookie value.
    func issue(now: Date = Date()) -> String {
        let expiry = String(Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970))
        return "v1." + expiry + "." + mac("session:" + expiry)
    }

    /// Whether `cookie` is a session of this token that has not expired.
    func isValid(_ cookie: String?, now: Date = Date()) -> Bool {
        guard let cookie else { return false }
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "v1", let expiry = Int64(parts[1]), Double(expiry) > now.timeIntervalSince1970 else { return false }
        return Self.equal(parts[2], mac("session:" + parts[1]))
    }

    /// The form token of a session.
    func formToken(for cookie: String) -> String { String(mac("form:" + cookie).prefix(32)) }

    /// Whether `token` is the form token of `cookie`.
    func acceptsForm(_ token: String?, cookie: String) -> Bool {
        guard let token else { return false }
        return Self.equal(token, formToken(for: cookie))
    }

    /// The session cookie of a `Cookie` header, if any.
    static func cookie(in header: String?) -> String? {
        for pair in (header ?? "").split(separator: ";") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == cookieName { return String(parts[1]) }
        }
        return nil
    }

    private func mac(_ message: String) -> String {
        Hex.encode((try? HMAC.sha256(key: key, message: Array(message.utf8))) ?? [])
    }

    /// Compares in time independent of where the texts differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

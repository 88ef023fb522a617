import Foundation
import YibaoClient
import YibaoCore
import YibaoServices
import YibaoCrypto
import YibaoGateway
import YibaoStore

/// A set-up error of the dev workspace (a missing file, an unknown profile): one sentence for the
/// operator; the CLI shows it as a usage error.
public struct DevKitError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Builds a gateway from the dev workspace.
public enum GatewaySetup {
    /// A gateway on the embedded SQLite database under `dataDirectory`.
    public static func make(certs: String, credentials: DemoCredentials, dataDirectory: String, testClock: Bool,
                     policy: PolicyProfile = .nhsa20, faults: Set<GatewayFault> = [], dialect: String = DialectProfile.nhsa20.name) throws -> Gateway {
        try make(certs: certs, credentials: credentials, store: try SQLiteStore(dataDirectory: dataDirectory), testClock: testClock,
                 policy: policy, faults: faults, dialect: dialect)
    }

    /// Opens the store a `--database` URL names: `postgres://user:password@host:port/database` (PostgreSQL,
    /// several gateway processes may share it) or nil / `sqlite` for the embedded SQLite file under `dataDirectory`.
    /// A database that cannot be used (unreachable, a schema newer than this build) is a ``DevKitError`` of one sentence.
    public static func openStore(database: String?, dataDirectory: String) async throws -> any GatewayStore {
        do {
            guard let database, !database.isEmpty, database != "sqlite" else { return try SQLiteStore(dataDirectory: dataDirectory) }
            if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") { return try await PostgresStore(url: database) }
            if database.hasPrefix("sqlite:") { return try SQLiteStore(path: String(database.dropFirst("sqlite:".count))) }
        } catch let error as StoreError {
            throw DevKitError(error.description)
        }
        throw DevKitError("--database must be postgres://user:password@host:port/database or sqlite:PATH (default: the SQLite file under --data-dir)")
    }

    /// A gateway on `store`.
    public static func make(certs: String, credentials: DemoCredentials, store: any GatewayStore, testClock: Bool,
                     policy: PolicyProfile = .nhsa20, faults: Set<GatewayFault> = [], dialect: String = DialectProfile.nhsa20.name) throws -> Gateway {
        let trust = try DevTrust(certs: certs, credentials: credentials)
        let platformKey = try SM2.PrivateKey(pemRepresentation: try trust.file(credentials.platform.privateKeyPem))
        let configuration = GatewayConfiguration(platformKey: platformKey, platformCertificate: trust.platformCertificate, policy: policy,
                                                 adminToken: credentials.adminToken, channels: [credentials.channel.id: credentials.channel.token],
                                                 trustedRoots: trust.roots, intermediates: trust.intermediates, revocationLists: trust.revocationLists,
                                                 testClock: testClock)
        var withRegions = configuration
        withRegions.faults = faults
        let regions = URL(fileURLWithPath: (certs as NSString).deletingLastPathComponent).appendingPathComponent("policies/regions")
        if FileManager.default.fileExists(atPath: regions.path) { withRegions.regions = try RegionPolicy.load(directory: regions) }
        for profile in try DialectCatalogue.load(profilesDirectory: DialectCatalogue.directory(certs: certs)) { withRegions.dialects[profile.name] = profile }
        guard withRegions.dialects[dialect] != nil else {
            throw DevKitError("no dialect profile \(dialect); known: \(withRegions.dialects.keys.sorted().joined(separator: ", ")) (yibao profiles)")
        }
        withRegions.defaultDialect = dialect
        return try Gateway(store: store, configuration: withRegions)
    }

    /// Reads a fixture, resolving practitioner certificate paths under `certs` and adding the apps of `credentials`.
    public static func fixture(path: String, certs: String, credentials: DemoCredentials) throws -> Fixture {
        guard let data = FileManager.default.contents(atPath: path) else { throw DevKitError("no fixture at \(path)") }
        var fixture = try Fixture.decode(data)
        for index in fixture.practitioners.indices {
            if let relative = fixture.practitioners[index].certificate, fixture.practitioners[index].certificatePem == nil {
                let file = (certs as NSString).appendingPathComponent(relative)
                guard let pem = FileManager.default.contents(atPath: file) else { throw DevKitError("fixture names \(file), which does not exist") }
                fixture.practitioners[index].certificatePem = String(decoding: pem, as: UTF8.self)
                fixture.practitioners[index].certificate = nil
            }
        }
        let codes = Set(fixture.institutions.map(\.code))
        for entry in credentials.institutions where codes.contains(entry.fixmedins_code) && !fixture.apps.contains(where: { $0.appId == entry.appId }) {
            var app = AppCredential(appId: entry.appId, appSecret: entry.appSecret, institutionCode: entry.fixmedins_code, publicKey: entry.publicKey)
            app.profile = fixture.institutions.first { $0.code == entry.fixmedins_code }?.profile
            app.csb = entry.csb.map { CSBCredential(accessKey: $0.accessKey, secretKey: $0.secretKey) }
            app.tif = entry.tif.map { TIFCredential(paasid: $0.paasid, token: $0.token) }
            app.oauth = entry.oauth.map { OAuthCredential(clientId: $0.clientId, clientSecret: $0.clientSecret, username: $0.username, password: $0.password, scope: $0.scope) }
            fixture.apps.append(app)
        }
        return fixture
    }
}

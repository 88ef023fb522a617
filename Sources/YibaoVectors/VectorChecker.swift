import Foundation
import YibaoCore
import YibaoCrypto

/// Runs the language-neutral test vectors in `vectors/` (Wycheproof-style JSON) against
/// YibaoCrypto: every test's `result` (valid / invalid / acceptable) is asserted.
public enum VectorChecker {
    /// The outcome of one test that did not match its expected result.
    public struct Mismatch: Sendable, CustomStringConvertible {
        public let file: String
        public let tcId: Int
        public let comment: String
        public let expected: String
        public let detail: String
        public var description: String { "\(file) tcId \(tcId) (\(comment)): expected \(expected), \(detail)" }
    }

    /// The outcome of one vector file.
    public struct FileReport: Sendable {
        public let file: String
        public let algorithm: String
        public var passed = 0
        public var failed = 0
        public var mismatches: [Mismatch] = []
        /// Number of tests the file declares (`numberOfTests`).
        public let declared: Int
    }

    /// Every vector file under `directory` (schemas and blind "expected" files are read through their prompt files).
    public static func vectorFiles(in directory: URL) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            throw VectorError("cannot read directory \(directory.path)")
        }
        var files: [URL] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            if url.pathComponents.contains("schemas") { continue }
            if url.lastPathComponent.hasSuffix("_expected.json") { continue }
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Checks every vector file under `directory`.
    public static func check(directory: URL, progress: (FileReport) -> Void = { _ in }) throws -> [FileReport] {
        let files = try vectorFiles(in: directory)
        guard !files.isEmpty else { throw VectorError("no vector files (*.json) under \(directory.path)") }
        return try files.map { url in
            let report = try check(file: url)
            progress(report)
            return report
        }
    }

    /// Checks one vector file; a blind prompt file `X_prompt.json` is graded against `X_expected.json` beside it.
    public static func check(file url: URL) throws -> FileReport {
        let root = try jsonObject(at: url)
        let name = url.lastPathComponent
        var expectedResults: [Int: String] = [:]
        if name.hasSuffix("_prompt.json") {
            let expectedURL = url.deletingLastPathComponent()
                .appendingPathComponent(String(name.dropLast("_prompt.json".count)) + "_expected.json")
            let expected = try jsonObject(at: expectedURL)
            for entry in expected["results"] as? [[String: Any]] ?? [] {
                if let id = entry["tcId"] as? Int, let result = entry["result"] as? String { expectedResults[id] = result }
            }
        }
        guard let groups = root["testGroups"] as? [[String: Any]] else { throw VectorError("\(name): no testGroups") }
        var report = FileReport(file: name, algorithm: root["algorithm"] as? String ?? "?", declared: root["numberOfTests"] as? Int ?? -1)
        for group in groups {
            let type = group["type"] as? String ?? ""
            for test in group["tests"] as? [[String: Any]] ?? [] {
                let id = test["tcId"] as? Int ?? -1
                guard let expected = (test["result"] as? String) ?? expectedResults[id] else {
                    report.failed += 1
                    report.mismatches.append(Mismatch(file: name, tcId: id, comment: test["comment"] as? String ?? "", expected: "?", detail: "no expected result"))
                    continue
                }
                let outcome: Outcome
                do {
                    outcome = try run(type: type, group: group, test: test)
                } catch {
                    outcome = .rejected("error: \(error)")
                }
                let ok: Bool
                switch (expected, outcome) {
                case ("valid", .accepted), ("invalid", .rejected), ("acceptable", _): ok = true
                default: ok = false
                }
                if ok {
                    report.passed += 1
                } else {
                    report.failed += 1
                    report.mismatches.append(Mismatch(file: name, tcId: id, comment: test["comment"] as? String ?? "",
                                                      expected: expected, detail: outcome.description))
                }
            }
        }
        if report.declared != report.passed + report.failed {
            report.failed += 1
            report.mismatches.append(Mismatch(file: name, tcId: 0, comment: "numberOfTests", expected: "\(report.declared) tests",
                                              detail: "found \(report.passed + report.failed)"))
        }
        return report
    }

    enum Outcome: CustomStringConvertible {
        case accepted
        case rejected(String)
        /// Rejected, but not for the reason the vector names.
        case rejectedOtherwise(String)
        var description: String {
            switch self {
            case .accepted: return "but it was accepted"
            case .rejected(let why): return "but it was rejected: \(why)"
            case .rejectedOtherwise(let why): return "rejected for another reason: \(why)"
            }
        }
    }

    static func run(type: String, group: [String: Any], test: [String: Any]) throws -> Outcome {
        switch type {
        case "HashTest": return try hashTest(test)
        case "BlockCipherTest": return try blockCipherTest(group, test)
        case "Sm2Verify": return try sm2Verify(group, test)
        case "EcdsaVerify": return try ecdsaVerify(group, test)
        case "HseSignString": return try hseSignString(group, test)
        case "HseEncryption": return try hseEncryption(test)
        case "HseEnvelope": return try hseEnvelope(group, test)
        case "SignedPrescriptionVerify": return try signedPrescriptionVerify(group, test)
        default: throw VectorError("unknown test group type \(type)")
        }
    }

    // MARK: - Per type

    /// A yibao-rx/1 document checked by PrescriptionVerifier; an invalid one must fail for the named party, code and cause.
    static func signedPrescriptionVerify(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        guard let trust = group["trust"] as? [String: Any] else { throw VectorError("no trust in the group") }
        func certificates(_ key: String) throws -> [Certificate] { try (trust[key] as? [String] ?? []).map { try Certificate(pemRepresentation: $0) } }
        let verifier = PrescriptionVerifier(
            trustAnchors: try certificates("roots"), intermediates: try certificates("intermediates"),
            revocationLists: try (trust["crls"] as? [String] ?? []).map { try CertificateRevocationList(pemRepresentation: $0) },
            platformCertificate: try (trust["platformCertificate"] as? String).map { try Certificate(pemRepresentation: $0) })
        let required = Set((group["required"] as? [String] ?? RxCheck.Party.allCases.map(\.rawValue)).compactMap(RxCheck.Party.init(rawValue:)))
        guard let documentObject = test["document"] else { throw VectorError("no document") }
        let data = try JSONSerialization.data(withJSONObject: documentObject)
        let document: SignedPrescription
        do { document = try SignedPrescription(bytes: Array(data)) } catch { return .rejected("unreadable: \(error)") }
        guard let failure = PrescriptionVerifier.firstFailure(verifier.verify(document, required: required)) else { return .accepted }
        let why = "\(failure.party.rawValue) \(failure.code)" + (failure.causes.isEmpty ? "" : " (\(failure.causes.joined(separator: ", ")))")
        if let expected = test["failure"] as? [String: Any] {
            if let party = expected["party"] as? String, party != failure.party.rawValue { return .rejectedOtherwise(why) }
            if let code = expected["code"] as? String, code != failure.code { return .rejectedOtherwise(why) }
            if let cause = expected["cause"] as? String, !failure.causes.contains(cause) { return .rejectedOtherwise(why) }
        }
        return .rejected(why)
    }

    static func hashTest(_ test: [String: Any]) throws -> Outcome {
        let digest = try SM3.hash(hex(test, "msg"))
        return digest == (try hex(test, "digest")) ? .accepted : .rejected("SM3 gives \(digest.hex)")
    }

    static func blockCipherTest(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        guard let mode = SM4.Mode(rawValue: try string(group, "mode")), let padding = SM4.Padding(rawValue: try string(group, "padding")) else {
            throw VectorError("unknown SM4 mode/padding")
        }
        let key = try hex(test, "key"), message = try hex(test, "msg"), expected = try hex(test, "ct")
        let iv = mode == .cbc ? try hex(test, "iv") : nil
        let iterations = test["iterations"] as? Int ?? 1
        if iterations > 1 {
            let context = try SM4Context(encrypt: true, key: key, mode: .ecb, padding: .none)
            var block = message
            for _ in 0..<iterations { try context.transformBlock(&block) }
            return block == expected ? .accepted : .rejected("\(iterations) rounds give \(block.hex)")
        }
        do {
            let decrypted = try SM4.decrypt(expected, key: key, mode: mode, padding: padding, iv: iv)
            guard decrypted == message else { return .rejected("decrypts to \(decrypted.hex)") }
        } catch {
            return .rejected("decryption failed: \(error)")
        }
        let encrypted = try SM4.encrypt(message, key: key, mode: mode, padding: padding, iv: iv)
        return encrypted == expected ? .accepted : .rejected("encrypts to \(encrypted.hex)")
    }

    static func sm2Verify(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        let key = try SM2.PublicKey(rawRepresentation: hex(group, "publicKey"))
        let encoding = SignatureEncoding(rawValue: try string(group, "sigEncoding")) ?? .raw
        let verifier = SM2Verifier(publicKey: key, signerID: Array(try string(group, "signerId").utf8), encoding: encoding)
        return verifier.verify(try hex(test, "sig"), for: try hex(test, "msg")) ? .accepted : .rejected("signature does not verify")
    }

    static func ecdsaVerify(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        let key = try P256.PublicKey(rawRepresentation: hex(group, "publicKey"))
        let encoding = SignatureEncoding(rawValue: try string(group, "sigEncoding")) ?? .der
        let verifier = P256Verifier(publicKey: key, encoding: encoding)
        return verifier.verify(try hex(test, "sig"), for: try hex(test, "msg")) ? .accepted : .rejected("signature does not verify")
    }

    static func hseSignString(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        guard let envelope = try JSONValue.parse(string(test, "envelope")).objectValue else { throw VectorError("envelope is not an object") }
        let computed = HSESignString.build(envelope: envelope, appSecret: try string(group, "appSecret"))
        return computed == (try string(test, "signString")) ? .accepted : .rejected("we compute \(computed)")
    }

    static func hseEncryption(_ test: [String: Any]) throws -> Outcome {
        let appId = try string(test, "appId"), secret = try string(test, "appSecret")
        let derived = try HSEEnvelope.deriveDataKey(appId: appId, appSecret: secret)
        guard derived == Array(try string(test, "derivedKey").utf8) else {
            return .rejected("we derive the key \(String(decoding: derived, as: UTF8.self))")
        }
        let envelope = try HSEEnvelope(appId: appId, appSecret: secret)
        let encData = try envelope.encrypt(Array(string(test, "data").utf8))
        return encData == (try string(test, "encData")) ? .accepted : .rejected("we encrypt to \(encData)")
    }

    static func hseEnvelope(_ group: [String: Any], _ test: [String: Any]) throws -> Outcome {
        let profileJSON = try JSONSerialization.data(withJSONObject: group["profile"] ?? [:])
        let profile = try JSONDecoder().decode(HSEProfile.self, from: profileJSON)
        // A dialect group (`dialect`: a profile's `hse` section) accepts the variants real vendor code sends.
        var dialect = HSEDialect.strict
        if let section = group["dialect"] {
            dialect = try JSONDecoder().decode(HSEDialect.self, from: try JSONSerialization.data(withJSONObject: section))
        }
        let envelope = try HSEEnvelope(appId: string(group, "appId"), appSecret: string(group, "appSecret"), profile: profile, dialect: dialect)
        let key = try SM2.PublicKey(base64: string(group, "senderPublicKey"))
        guard let nowMs = group["now"] as? Int else { throw VectorError("group has no integer now") }
        let result = envelope.open(Array(try string(test, "envelope").utf8), peerPublicKey: key,
                                   now: Date(timeIntervalSince1970: Double(nowMs) / 1000))
        switch result {
        case .success(let opened):
            if let dataText = test["data"] as? String {
                let expected = try JSONValue.parse(dataText)
                guard opened.data?.serialized(sortedKeys: true) == expected.serialized(sortedKeys: true) else { return .rejected("opened, but the data differs from the vector's data") }
            }
            return .accepted
        case .failure(let failure):
            return .rejected(failure.code.rawValue + ": " + failure.detail)
        }
    }

    // MARK: - Helpers

    static func jsonObject(at url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VectorError("\(url.lastPathComponent) is not a JSON object")
        }
        return object
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String else { throw VectorError("missing string field \(key)") }
        return value
    }

    static func hex(_ object: [String: Any], _ key: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(try string(object, key)) else { throw VectorError("field \(key) is not hex") }
        return bytes
    }
}

/// A malformed vector file.
public struct VectorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

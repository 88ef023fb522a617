import Foundation
import Hummingbird
import HTTPTypes
import YibaoCore
import YibaoCrypto

/// FSI answers in the form a dialect profile gives them (docs/DIALECTS.md §3).
enum FSIAnswer {
    /// The members an answer writes as "no value": "" or null.
    static func empty(_ dialect: FSIDialect) -> JSONValue { dialect.emptyAnswerMembers == .null ? .null : .string("") }

    static func time(_ date: Date, _ dialect: FSIDialect) -> String {
        dialect.answerTime == .compactMillis ? Timestamps.compactMillis(date) : Timestamps.fsi(date)
    }

    static func infcode(_ value: Int, _ dialect: FSIDialect) -> JSONValue {
        dialect.infcodeType == .string ? .string(String(value)) : .integer(value)
    }

    /// `inf_refmsgid`: the legacy 28 characters, or receiver admdvs (6) + yyyyMMddHHmmss + a 10-digit serial.
    static func refMsgId(institutionCode: String, admdvs: String?, now: Date, _ dialect: FSIDialect) -> String {
        switch dialect.refMsgId {
        case .legacy: String(institutionCode.dropFirst().prefix(6)) + Timestamps.compact(now) + TokenGenerator.digits(8)
        case .admdvsTimeSerial:
            String((admdvs ?? String(institutionCode.dropFirst().prefix(6))).prefix(6)).padding(toLength: 6, withPad: "0", startingAt: 0)
                + Timestamps.compact(now) + TokenGenerator.digits(10)
        }
    }

    /// The accepted answer: `output` (encrypted under `sm4-input`), signed in `cainfo` when the profile says.
    static func success(output: JSONValue, request: FSIRequest, dialect: FSIDialect, configuration: GatewayConfiguration, now: Date) throws -> Response {
        var envelope = JSONObject([
            .init(key: "infcode", value: infcode(0, dialect)),
            .init(key: "inf_refmsgid", value: .string(refMsgId(institutionCode: request.institutionCode, admdvs: request.receiverAdmdvs, now: now, dialect))),
            .init(key: "refmsg_time", value: .string(time(now, dialect))),
            .init(key: "respond_time", value: .string(time(now, dialect))),
            .init(key: "err_msg", value: empty(dialect)),
            .init(key: "warn_msg", value: empty(dialect)),
            .init(key: "output", value: output),
        ])
        switch (dialect.encryption, dialect.signAnswers) {
        case (.sm4Input, _):
            // Jilin: output encrypted like input, cainfo over the JSON of output (default signer ID, raw r‖s).
            let text = Array(output.serialized().utf8)
            let key = Array((request.encryptionKey ?? "").utf8)
            envelope["output"] = .string(try SM4.encrypt(text, key: key, mode: .ecb, padding: .pkcs7).base64)
            envelope["enc_type"] = .string("SM4")
            envelope["signtype"] = .string("SM2")
            envelope["cainfo"] = .string(try configuration.platformKey.signature(for: text, signerID: SM2.defaultSignerID).encoded(.raw).base64)
        case (.none, true):
            envelope["signtype"] = .string("SM2")
            let profile = configuration.envelopeProfile
            let string = HSESignString.build(envelope: envelope, appSecret: request.appSecret)
            let signature = try configuration.platformKey.signature(for: Array(string.utf8), signerID: profile.signerIDBytes(appSecret: request.appSecret))
            envelope["cainfo"] = .string(signature.encoded(profile.signatureEncoding).base64)
        case (.none, false):
            envelope["signtype"] = empty(dialect)
            envelope["cainfo"] = empty(dialect)
        }
        return JSONResponse.make(.object(envelope))
    }

    /// `-1` (system: the message itself failed — an authentication failure (401), a protocol rule
    /// (envelope, fields, time window, replay, sign-in), a body too large, a rate limit, or the
    /// platform; the HIS should reverse with 2601) or `-2` (business: anything else — a rule of the
    /// measures or the state of the data refused it; show the message), per the DLL convention.
    static func refusalInfcode(_ problem: Problem) -> Int {
        if problem.statusCode >= 500 || [401, 413, 429].contains(problem.statusCode) { return -1 }
        if problem.rule?.hasPrefix("PROTOCOL-") == true { return -1 }
        return -2
    }

    /// A refusal as real platforms answer it: HTTP 200, `infcode` -1/-2, `err_msg` naming the code,
    /// rule and field (with the Chinese wording), `output` null; the full problem document in `problem`.
    static func refusal(_ problem: Problem, dialect: FSIDialect, institutionCode: String?, admdvs: String?, now: Date) -> Response {
        var sentence = problem.sentence
        if let wording = ErrorCode(rawValue: problem.code)?.zh { sentence += "（\(wording)）" }
        var documented = problem
        documented.envelope = .none
        let envelope = JSONObject([
            .init(key: "infcode", value: infcode(refusalInfcode(problem), dialect)),
            .init(key: "inf_refmsgid", value: institutionCode.map { .string(refMsgId(institutionCode: $0, admdvs: admdvs, now: now, dialect)) } ?? .string("")),
            .init(key: "refmsg_time", value: .string(time(now, dialect))),
            .init(key: "respond_time", value: .string(time(now, dialect))),
            .init(key: "err_msg", value: .string(sentence)),
            .init(key: "warn_msg", value: empty(dialect)),
            .init(key: "output", value: .null),
            .init(key: "signtype", value: empty(dialect)),
            .init(key: "cainfo", value: empty(dialect)),
            .init(key: "problem", value: .object(documented.json)),
        ])
        var response = JSONResponse.make(.object(envelope))
        response.headers[HTTPField.Name("X-Yibao-Problem")!] = problem.code
        return response
    }
}


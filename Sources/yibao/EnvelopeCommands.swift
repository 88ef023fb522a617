import ArgumentParser
import Foundation
import YibaoCrypto

struct EnvelopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "envelope",
        abstract: "Seal and open the platform's HSE envelope (SM4-encrypted encData, SM2-signed signData).",
        discussion: """
        The byte-level contract is docs/ENVELOPE.md; profile nhsa-2.0 is the default.

        Examples:
          echo '{"orgCodg":"H12010100001"}' | yibao envelope seal --app-id APPID --app-secret SECRET --private-key B64 -
          yibao envelope open --app-id APPID --app-secret SECRET --peer-public-key B64 envelope.json
          yibao envelope sign-string --app-secret SECRET envelope.json
        """,
        subcommands: [SealCommand.self, OpenCommand.self, SignStringCommand.self]
    )
}

/// The credentials and profile settings every envelope command shares.
struct EnvelopeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The appId (its first 16 characters form the SM4 key K1).", valueName: "ID"))
    var appId: String

    @Option(name: .long, help: ArgumentHelp("The appSecret.", valueName: "S"))
    var appSecret: String

    @Option(name: .long, help: "Profile setting: SM2 signer ID, default (1234567812345678) or appSecret.")
    var signerId: HSEProfile.SignerIDSetting = .default

    @Option(name: .long, help: "Profile setting: signature encoding, raw (r‖s) or der.")
    var signatureEncoding: SignatureEncoding = .raw

    @Option(name: .long, help: "Profile setting: hex case of encData, upper or lower.")
    var hexCase: HSEProfile.HexCase = .upper

    @Option(name: .long, help: "Profile setting: version string written when sealing.")
    var version = "2.0.1"

    @Option(name: .long, help: "Profile setting: timestamp window in seconds when opening.")
    var window = 300

    var profile: HSEProfile {
        HSEProfile(signerID: signerId, signatureEncoding: signatureEncoding, encDataHexCase: hexCase,
                   version: version, timestampWindowSeconds: window)
    }

    func envelope() throws -> HSEEnvelope {
        do {
            return try HSEEnvelope(appId: appId, appSecret: appSecret, profile: profile)
        } catch let error as CryptoError {
            throw ValidationError(error.reason)
        }
    }
}

extension HSEProfile.SignerIDSetting: ExpressibleByArgument {}
extension HSEProfile.HexCase: ExpressibleByArgument {}

struct SealCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Read business data JSON and print the sealed request envelope.",
        discussion: """
        Examples:
          echo '{"orgCodg":"H12010100001","medfeeSumamt":12.00}' | \\
            yibao envelope seal --app-id 1G7Q8ABCDEF0123456 --app-secret S3CR3T --private-key B64 -
        """
    )

    @OptionGroup var options: EnvelopeOptions

    @Option(name: .long, help: ArgumentHelp("Sender's SM2 private key, base64 of the 32-byte scalar.", valueName: "B64"))
    var privateKey: String?

    @Option(name: .long, help: ArgumentHelp("Sender's SM2 private key file (PEM).", valueName: "PATH"))
    var privateKeyFile: String?

    @Option(name: .long, help: ArgumentHelp("Timestamp in epoch milliseconds (default: now).", valueName: "MS"))
    var timestamp: Int64?

    @Option(name: .long, help: ArgumentHelp("Add a transType member (some services need it).", valueName: "T"))
    var transType: String?

    @Argument(help: ArgumentHelp("Business data JSON file; - or nothing for standard input.", valueName: "FILE"))
    var file: String?

    func validate() throws {
        try requireExactlyOne(privateKey, privateKeyFile, names: "--private-key B64 or --private-key-file PATH")
    }

    func run() throws {
        let envelope = try options.envelope()
        let key = try loadSM2PrivateKey(base64: privateKey, file: privateKeyFile)
        let data: JSONValue
        do {
            data = try JSONValue.parse(readInput(file))
        } catch let error as JSONParseError {
            throw ValidationError("the business data is not valid JSON: \(error)")
        }
        let time = timestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? Date()
        let sealed = try envelope.sealRequest(data: data, privateKey: key, timestamp: time,
                                              additional: transType.map { [.init(key: "transType", value: .string($0))] } ?? [])
        print(prettyJSON(.object(sealed)))
    }
}

struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Decrypt and verify an envelope; print the data and exit 0 only when the signature verifies.",
        discussion: """
        On failure the exit status is 1 and standard error says which step failed (fields, decrypt, \
        signature, timestamp), the field, and — for a signature — the string we computed and the \
        likely cause (DER instead of raw, wrong signer ID, unsorted keys, numbers not stringified …).

        Examples:
          yibao envelope open --app-id APPID --app-secret SECRET --peer-public-key B64 envelope.json
          yibao envelope seal --app-id APPID --app-secret SECRET --private-key B64 data.json | yibao envelope open --app-id APPID --app-secret SECRET --peer-public-key B64
        """
    )

    @OptionGroup var options: EnvelopeOptions

    @Option(name: .long, help: ArgumentHelp("The sender's SM2 public key, base64 of the 65-byte point.", valueName: "B64"))
    var peerPublicKey: String?

    @Option(name: .long, help: ArgumentHelp("The sender's certificate or public key file (PEM).", valueName: "PATH"))
    var peerPublicKeyFile: String?

    @Option(name: .long, help: ArgumentHelp("The receiver's clock in epoch milliseconds (default: now).", valueName: "MS"))
    var now: Int64?

    @Flag(name: .long, help: "Do not check the timestamp window.")
    var noTimestampCheck = false

    @Flag(name: .long, help: "Print the whole opened envelope with data and the signed string, not just the data.")
    var verbose = false

    @Argument(help: ArgumentHelp("Envelope JSON file; - or nothing for standard input.", valueName: "FILE"))
    var file: String?

    func validate() throws {
        try requireExactlyOne(peerPublicKey, peerPublicKeyFile, names: "--peer-public-key B64 or --peer-public-key-file PATH")
    }

    func run() throws {
        let envelope = try options.envelope()
        let key = try loadSM2PublicKey(base64: peerPublicKey, file: peerPublicKeyFile)
        let clock: Date? = noTimestampCheck ? nil : (now.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? Date())
        switch envelope.open(try readInput(file), peerPublicKey: key, now: clock) {
        case .success(let opened):
            if verbose {
                var object = opened.envelope
                object["data"] = opened.data
                object.members.append(.init(key: "_signString", value: .string(opened.signString)))
                print(prettyJSON(.object(object)))
            } else {
                print(opened.data.map { prettyJSON($0) } ?? "null")
            }
        case .failure(let failure):
            printError("envelope rejected (profile \(envelope.profile.summary)):\n\(failure)")
            throw ExitCode(1)
        }
    }
}

struct SignStringCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-string",
        abstract: "Print the exact string to sign for an envelope whose plaintext business object is in `data`.",
        discussion: """
        Use it to compare your SDK's string byte by byte with ours (docs/ENVELOPE.md §2).

        Examples:
          yibao envelope sign-string --app-secret SECRET envelope.json
          cat envelope.json | yibao envelope sign-string --app-secret SECRET
        """
    )

    @Option(name: .long, help: ArgumentHelp("The appSecret appended as &key=…", valueName: "S"))
    var appSecret: String

    @Argument(help: ArgumentHelp("Envelope JSON with a plaintext `data` member; - or nothing for standard input.", valueName: "FILE"))
    var file: String?

    func run() throws {
        guard let object = try JSONValue.parse(readInput(file)).objectValue else {
            throw ValidationError("the input must be a JSON object")
        }
        print(HSESignString.build(envelope: object, appSecret: appSecret))
    }
}

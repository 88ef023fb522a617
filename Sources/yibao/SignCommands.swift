import ArgumentParser
import Foundation
import YibaoCrypto

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a file or standard input (SM3-with-SM2 by default, or ECDSA P-256/SHA-256).",
        discussion: """
        SM2 signatures use the signer ID 1234567812345678 unless --signer-id says otherwise \
        (OpenSSL 3.0 would silently use an empty one). The default output is base64 of raw r‖s \
        for SM2 — the platform's form — and of DER for P-256.

        Check with OpenSSL:
          yibao sign --private-key-file certs/sm2/hospital.key.pem --signature-encoding der --signature-format binary msg.txt > msg.sig
          openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature msg.sig msg.txt

        Examples:
          echo -n hello | yibao sign --private-key-file certs/sm2/hospital.key.pem
          yibao sign --alg p256 --private-key-file certs/p256/doctor-li.key.pem --signature-format hex data.json
        """
    )

    @OptionGroup var key: PrivateKeyOptions

    @Option(name: .long, help: "SM2 signer ID (UTF-8).")
    var signerId = "1234567812345678"

    @Option(name: [.customLong("signature-encoding"), .customLong("encoding")],
            help: "Signature encoding: raw (r‖s, 64 bytes) or der. Default: raw for sm2, der for p256. (--encoding: the older name.)")
    var encoding: SignatureEncoding?

    @Option(name: [.customLong("signature-format"), .customLong("output")], help: "How the signature is written: base64, hex or binary. (--output: the older name.)")
    var output: ByteFormat = .base64

    @Argument(help: ArgumentHelp("File to sign; - or nothing for standard input.", valueName: "FILE"))
    var file: String?

    func run() throws {
        let message = try readInput(file)
        let signature: [UInt8]
        switch key.alg {
        case .sm2:
            signature = try SM2Signer(privateKey: key.loadSM2(), signerID: Array(signerId.utf8), encoding: encoding ?? .raw).sign(message)
        case .p256:
            signature = try P256Signer(privateKey: key.loadP256(), encoding: encoding ?? .der).sign(message)
        }
        writeStandardOutput(output.render(signature))
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a signature over a file or standard input; exits 0 only when it is valid.",
        discussion: """
        The key comes from --public-key (base64 point), --public-key-file (PEM) or --certificate. \
        The signature comes from --signature (text, see --signature-format) or --signature-file \
        (raw bytes, e.g. what `openssl dgst -sign` wrote).

        Examples:
          echo -n hello | yibao verify --certificate certs/sm2/hospital.cert.pem --signature B64
          yibao verify --public-key B64 --signature-file sig.bin data.json
        """
    )

    @OptionGroup var key: PublicKeyOptions

    @Option(name: .long, help: "SM2 signer ID (UTF-8).")
    var signerId = "1234567812345678"

    @Option(name: [.customLong("signature-encoding"), .customLong("encoding")],
            help: "Signature encoding: raw or der. Default: raw for sm2, der for p256. (--encoding: the older name.)")
    var encoding: SignatureEncoding?

    @Option(name: .long, help: ArgumentHelp("The signature as text.", valueName: "SIG"))
    var signature: String?

    @Option(name: .long, help: "How --signature is written: base64 or hex.")
    var signatureFormat: ByteFormat = .base64

    @Option(name: .long, help: ArgumentHelp("File holding the signature bytes.", valueName: "PATH"))
    var signatureFile: String?

    @Argument(help: ArgumentHelp("Signed file; - or nothing for standard input.", valueName: "FILE"))
    var file: String?

    func validate() throws {
        try requireExactlyOne(signature, signatureFile, names: "--signature SIG or --signature-file PATH")
    }

    func run() throws {
        let signatureBytes = try signature.map { try signatureFormat.parse(Array($0.utf8)) } ?? readInput(signatureFile)
        let defaultEncoding: SignatureEncoding = key.alg == .sm2 && key.certificate == nil ? .raw : .der
        var chosen = encoding ?? defaultEncoding
        if encoding == nil, key.certificate != nil {
            // A certificate may hold an SM2 key: take raw for 64-byte signatures, DER otherwise.
            chosen = signatureBytes.count == 64 && signatureBytes.first != 0x30 ? .raw : .der
        }
        let verifier = try key.verifier(signerID: Array(signerId.utf8), encoding: chosen)
        let message = try readInput(file)
        if verifier.verify(signatureBytes, for: message) {
            print("valid: \(verifier.algorithm.rawValue) signature (\(chosen.rawValue)) over \(message.count) bytes")
        } else {
            var hint = ""
            if chosen == .raw, (try? ECSignature(derRepresentation: signatureBytes)) != nil { hint = " (the signature is DER: try --signature-encoding der)" }
            if chosen == .der, signatureBytes.count == 64 { hint = " (the signature is 64 bytes: try --signature-encoding raw)" }
            printError("invalid: \(verifier.algorithm.rawValue) signature does not verify\(hint)")
            throw ExitCode(1)
        }
    }
}

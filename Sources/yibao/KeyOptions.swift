import ArgumentParser
import Foundation
import YibaoCrypto

/// Where a private key comes from: raw base64 or a PEM file.
struct PrivateKeyOptions: ParsableArguments {
    @Option(name: .long, help: "Key algorithm: sm2 or p256.")
    var alg: KeyAlgorithm = .sm2

    @Option(name: .long, help: ArgumentHelp("Private key as base64 of the 32-byte scalar.", valueName: "B64"))
    var privateKey: String?

    @Option(name: .long, help: ArgumentHelp("Private key file (PEM PKCS#8 / SEC1, or DER).", valueName: "PATH"))
    var privateKeyFile: String?

    func validate() throws {
        try requireExactlyOne(privateKey, privateKeyFile, names: "--private-key B64 or --private-key-file PATH")
    }

    func loadSM2() throws -> SM2.PrivateKey { try loadSM2PrivateKey(base64: privateKey, file: privateKeyFile) }

    func loadP256() throws -> P256.PrivateKey {
        if let privateKey { return try P256.PrivateKey(base64: privateKey) }
        return try P256.PrivateKey(pemOrDER: readInput(privateKeyFile))
    }
}

/// Where a public key comes from: raw base64, a PEM file or a certificate.
struct PublicKeyOptions: ParsableArguments {
    @Option(name: .long, help: "Key algorithm: sm2 or p256 (ignored with --certificate, which says).")
    var alg: KeyAlgorithm = .sm2

    @Option(name: .long, help: ArgumentHelp("Public key as base64 of the 65-byte point 04‖X‖Y.", valueName: "B64"))
    var publicKey: String?

    @Option(name: .long, help: ArgumentHelp("Public key file (PEM or DER SubjectPublicKeyInfo).", valueName: "PATH"))
    var publicKeyFile: String?

    @Option(name: .long, help: ArgumentHelp("X.509 certificate (PEM or DER) whose key verifies.", valueName: "PATH"))
    var certificate: String?

    func validate() throws {
        let given = [publicKey, publicKeyFile, certificate].compactMap { $0 }.count
        if given != 1 {
            throw ValidationError("give exactly one of --public-key B64, --public-key-file PATH or --certificate PATH")
        }
    }

    /// A verifier for the configured key.
    func verifier(signerID: [UInt8], encoding: SignatureEncoding) throws -> any MessageVerifier {
        if let certificate {
            return try Certificate(bytes: readInput(certificate)).verifier(signerID: signerID, encoding: encoding)
        }
        switch alg {
        case .sm2:
            let key = try publicKey.map { try SM2.PublicKey(base64: $0) } ?? SM2.PublicKey(pemOrDER: readInput(publicKeyFile))
            return SM2Verifier(publicKey: key, signerID: signerID, encoding: encoding)
        case .p256:
            let key = try publicKey.map { try P256.PublicKey(base64: $0) } ?? P256.PublicKey(pemOrDER: readInput(publicKeyFile))
            return P256Verifier(publicKey: key, encoding: encoding)
        }
    }
}

/// An SM2 private key from the base64 or hex of the raw scalar (32 bytes, or 33 with a leading zero), or from a PEM/DER file.
func loadSM2PrivateKey(base64: String?, file: String?) throws -> SM2.PrivateKey {
    if let base64 { return try SM2.PrivateKey(anyFormat: base64) }
    return try SM2.PrivateKey(pemOrDER: readInput(file))
}

/// An SM2 public key from the base64 or hex of the raw point (04‖X‖Y, or X‖Y), or from a PEM/DER public key or certificate file.
func loadSM2PublicKey(base64: String?, file: String?) throws -> SM2.PublicKey {
    if let base64 { return try SM2.PublicKey(anyFormat: base64) }
    let bytes = try readInput(file)
    if String(decoding: bytes, as: UTF8.self).contains("BEGIN CERTIFICATE") {
        return try SM2.PublicKey(certificate: Certificate(bytes: bytes))
    }
    return try SM2.PublicKey(pemOrDER: bytes)
}

/// Refuses a command line that gives both or neither of two alternatives.
func requireExactlyOne(_ first: String?, _ second: String?, names: String) throws {
    if (first == nil) == (second == nil) { throw ValidationError("give exactly one of \(names)") }
}

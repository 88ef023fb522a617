import ArgumentParser
import Foundation
import YibaoCrypto

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a key pair and print it in the platform's raw base64 forms.",
        discussion: """
        Prints JSON: privateKey = base64 of the 32-byte private scalar, publicKey = base64 of the \
        65-byte uncompressed point 04‖X‖Y — the forms the platform and hospital SDKs exchange. \
        With --pem, the PKCS#8 and SubjectPublicKeyInfo PEM are included too.

        Examples:
          yibao keygen
          yibao keygen --alg p256 --pem
        """
    )

    @Option(name: .long, help: "Key algorithm: sm2 (SM2 recommended curve) or p256 (NIST P-256).")
    var alg: KeyAlgorithm = .sm2

    @Flag(name: .long, help: "Also print the keys as PEM.")
    var pem = false

    func run() throws {
        var fields: [(String, String)]
        switch alg {
        case .sm2:
            let key = try SM2.PrivateKey()
            fields = [("algorithm", "SM2"), ("privateKey", try key.base64), ("publicKey", try key.publicKey.base64)]
            if pem { fields += [("privateKeyPem", try key.pemRepresentation), ("publicKeyPem", try key.publicKey.pemRepresentation)] }
        case .p256:
            let key = try P256.PrivateKey()
            fields = [("algorithm", "P-256"), ("privateKey", try key.base64), ("publicKey", try key.publicKey.base64)]
            if pem { fields += [("privateKeyPem", try key.pemRepresentation), ("publicKeyPem", try key.publicKey.pemRepresentation)] }
        }
        let object = JSONObject(fields.map { .init(key: $0.0, value: .string($0.1)) })
        print(prettyJSON(.object(object)))
    }
}

/// Indented JSON for people (member order kept).
func prettyJSON(_ value: JSONValue, indent: String = "") -> String {
    let next = indent + "  "
    switch value {
    case .object(let object):
        if object.members.isEmpty { return "{}" }
        let body = object.members.map { next + JSONValue.string($0.key).serialized() + ": " + prettyJSON($0.value, indent: next) }
        return "{\n" + body.joined(separator: ",\n") + "\n" + indent + "}"
    case .array(let items):
        if items.isEmpty { return "[]" }
        return "[\n" + items.map { next + prettyJSON($0, indent: next) }.joined(separator: ",\n") + "\n" + indent + "]"
    default:
        return value.serialized()
    }
}

import ArgumentParser
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// `yibao rx …`: sign, review and verify e-prescriptions offline (docs/PRESCRIPTION.md).
struct RxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rx",
        abstract: "Sign, review and verify e-prescriptions offline (yibao-rx/1, docs/PRESCRIPTION.md).",
        discussion: """
        A prescription (samples/rx/*.json: the platform's uploadChk fields, every value a string) is \
        signed by the doctor over its canonical bytes, reviewed and signed by a pharmacist, then \
        countersigned by the platform (rxFixmedinsSign). `rx verify` checks each signature and each \
        signer's certificate chain at the time they signed, against the dev PKI in certs/.

        Examples:
          yibao rx sign samples/rx/diabetes-followup.json --private-key-file certs/sm2/doctor-li.key.pem --certificate certs/sm2/doctor-li.cert.pem > signed.json
          yibao rx review signed.json --private-key-file certs/sm2/pharmacist-zhao.key.pem --certificate certs/sm2/pharmacist-zhao.cert.pem \\
              --phar-code Y12010100001 --phar-name "Zhao Min" > reviewed.json
          yibao rx verify reviewed.json --require doctor,pharmacist
        """,
        subcommands: [RxSignCommand.self, RxReviewCommand.self, RxVerifyCommand.self]
    )
}

struct RxKeyOptions: ParsableArguments {
    @Option(name: [.customLong("private-key-file"), .customLong("key")], help: ArgumentHelp("The signer's private key file (PEM, SM2 or P-256); --key is the older name.", valueName: "PATH"))
    var key: String

    @Option(name: [.customLong("certificate"), .customLong("cert")], help: ArgumentHelp("The signer's certificate (PEM), embedded in the signature; --cert is the older name.", valueName: "PATH"))
    var cert: String

    func signingKey() throws -> RxSigningKey {
        func read(_ path: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return String(decoding: data, as: UTF8.self)
        }
        return try RxSigningKey(keyPEM: try read(key), certificatePEM: try read(cert))
    }
}

func readPrescription(_ path: String) throws -> SignedPrescription {
    do { return try SignedPrescription(bytes: try readInput(path == "-" ? nil : path)) } catch let error as DomainError {
        throw ValidationError("\(path): \(error)")
    }
}

func printDocument(_ document: SignedPrescription) {
    print(pretty(.object(document.json)))
}

struct RxSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a prescription as the doctor (SM3-with-SM2 or ECDSA P-256, by the certificate's key); prints the yibao-rx/1 file.",
        discussion: """
        Examples:
          yibao rx sign samples/rx/hypertension-followup.json --private-key-file certs/sm2/doctor-li.key.pem --certificate certs/sm2/doctor-li.cert.pem > signed.json
        """
    )

    @Argument(help: "A prescription (bare fields or a yibao-rx/1 file), - for stdin.")
    var file: String

    @OptionGroup var keys: RxKeyOptions

    func run() throws {
        var document = try readPrescription(file)
        try document.signAsDoctor(with: try keys.signingKey())
        printDocument(document)
    }
}

struct RxReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review a doctor-signed prescription as the pharmacist and sign the review; prints the yibao-rx/1 file.",
        discussion: """
        Examples:
          yibao rx review signed.json --private-key-file certs/sm2/pharmacist-zhao.key.pem --certificate certs/sm2/pharmacist-zhao.cert.pem --phar-code Y12010100001 --phar-name 'Zhao Min' > reviewed.json
        """
    )

    @Argument(help: "A doctor-signed yibao-rx/1 file, - for stdin.")
    var file: String

    @OptionGroup var keys: RxKeyOptions

    @Option(name: .customLong("phar-code"), help: "The pharmacist's code (must match the certificate's serialNumber).")
    var pharCode: String

    @Option(name: .customLong("phar-name"), help: "The pharmacist's name.")
    var pharName: String

    @Option(help: "Review time, yyyy-MM-dd HH:mm:ss Beijing time (default: now).")
    var time: String?

    @Flag(help: "Reject the prescription (result 0) instead of approving it.")
    var reject = false

    func run() throws {
        var document = try readPrescription(file)
        try document.addReview(pharCode: pharCode, pharName: pharName, pharChkTime: time ?? Timestamps.fsi(Date()), approved: !reject,
                               key: try keys.signingKey())
        printDocument(document)
    }
}

struct RxVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every signature of a prescription and every signer's certificate chain, offline; exit 1 and say why on any failure.",
        discussion: """
        Examples:
          yibao rx verify reviewed.json --require doctor,pharmacist
          yibao rx verify dispensed.json
        """
    )

    @Argument(help: "A yibao-rx/1 file, - for stdin.")
    var file: String

    @Option(help: "Signatures that must be present: doctor, pharmacist, platform (comma-separated; default: all three).")
    var require: String = "doctor,pharmacist,platform"

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        var parties = Set<RxCheck.Party>()
        for name in require.split(separator: ",") {
            guard let party = RxCheck.Party(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--require takes doctor, pharmacist, platform")
            }
            parties.insert(party)
        }
        let document: SignedPrescription
        do { document = try SignedPrescription(bytes: try readInput(file == "-" ? nil : file)) } catch {
            print("FAIL \(file) is not a readable prescription: \(error)")
            throw ExitCode(1)
        }
        let checks = try DevTrust(certs: try workspace.certsDirectory()).prescriptionVerifier.verify(document, required: parties)
        print("prescription \(document.prescription.hospRxno) (\(document.prescription.drugs.count) drug line(s)), prescribed \(Timestamps.fsi(document.prescription.prescribedAt))")
        for check in checks { print("  \(check)") }
        if PrescriptionVerifier.firstFailure(checks) != nil { throw ExitCode(1) }
        print("all signatures verify")
    }
}

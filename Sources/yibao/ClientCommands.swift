import ArgumentParser
import Foundation
import YibaoClient
import YibaoCore
import YibaoCrypto

/// `yibao voucher issue`: the patient shows the e-voucher QR code; the institution scans it.
struct VoucherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher",
        abstract: "E-voucher (医保电子凭证) tokens from a running gateway.",
        discussion: """
        Examples:
          yibao voucher issue
          yibao voucher issue --business 01301 --certno 120101198001011234
        """,
        subcommands: [VoucherIssueCommand.self]
    )
}

struct VoucherIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Show a patient's e-voucher QR code and scan it as the institution: prints a fresh ecToken.",
        discussion: """
        Two steps, as in real life: the authorised channel (the medical-insurance app) shows the \
        patient's dynamic QR code, then the institution scans it with ec.query for a business type \
        and gets an ecToken bound to that business and institution. Each transaction may present \
        the token once (ID-2). Use it as mdtrt_cert_no with mdtrt_cert_type 01.

        Examples:
          yibao voucher issue
          yibao voucher issue --business 01302 --institution P12010100001
          yibao voucher issue --profile national
        """
    )

    @Option(help: "The patient's resident ID number (default: Zhang San of the demo fixture).")
    var certno: String = "120101198001011234"

    @Option(help: "Business type the token is bound to: 01101 registration, 01301 settlement, 01302 dispensing, 02121, 02122.")
    var business: String = BusinessType.registration.rawValue

    @OptionGroup var options: GatewayClientOptions

    func run() async throws {
        guard let businessType = BusinessType(rawValue: business) else {
            throw ValidationError("--business must be one of \(BusinessType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        do {
            let credentials = try options.workspace.credentials()
            let channel = VoucherChannel(baseURL: options.gateway, token: credentials.channel.token)
            let qr = try await channel.qrCode(certno: certno)
            let scan = try await options.client().scanVoucher(qrCode: qr.code, business: businessType)
            print("""
            QR code shown by the patient's app:  \(qr.code)  (valid until \(qr.expireTime))
            scanned by \(options.institution) for \(businessType.rawValue) \(businessType.label):
              userName   \(scan.userName)
              insuOrg    \(scan.insuOrg)
              ecToken    \(scan.ecToken)
              expires    \(scan.expireTime)
            next:
              yibao call 1101 --data '{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"\(scan.ecToken)"}}'
            """)
        } catch {
            throw fail(error)
        }
    }
}

/// `yibao call TRANSACTION --data FILE`: any transaction through the client.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send a transaction to a running gateway through the client library and print the answer.",
        discussion: """
        TRANSACTION is an FSI code (9001, 9002, 1101, 1312, 1316–1319, 1901, 2001, 2101–2103, 2201–2208, 2503, 2504, 2601, \
        3101, 3102, 3201, 3202, 3203, 3301, 3302, 4301, 4701, 5201–5206, 5301, and 9101 with the file as Base64 in fsUploadIn.in; 9102 answers a file, not JSON: YibaoClient.downloadFile) or an HSE service \
        (ec.query, ec.payAuth; uploadChk, rxFixmedinsSign, rxFileUpld, rxUndo, hospRxDetlQuery, \
        rxChkInfoQuery, rxSetlInfoQuery, rxDownload, rxDispense; uldFeeInfo (6201), pay_order (6202), \
        refund_Order (6203), query_order_info (6301), revoke_order (6401)). \
        --data is the FSI `input` node or the HSE business data: a file, `-` for stdin, or inline JSON. \
        The client signs in (9001) by itself before the first FSI call, seals and signs the request \
        with the institution's key from certs/demo-credentials.json, and verifies the platform's \
        signature on the answer. A refusal prints the server's code, rule, pointer and, for a bad \
        signature, the string it verified, then exits 1.

        Examples:
          yibao call 1101 --data '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}'
          yibao call 2201 --data samples/fsi/2201-registration.json
        """
    )

    @Argument(help: "FSI transaction code or HSE service name.")
    var transaction: String

    @Option(help: "The input: a JSON file, - for stdin, or inline JSON.")
    var data: String

    @OptionGroup var options: GatewayClientOptions

    func run() async throws {
        let text: [UInt8]
        if data.hasPrefix("{") { text = Array(data.utf8) } else { text = try readInput(data == "-" ? nil : data) }
        let value: JSONValue
        do { value = try JSONValue.parse(text) } catch { throw ValidationError("--data is not valid JSON: \(error)") }
        do {
            let client = try options.client()
            let answer: JSONValue
            if transaction.allSatisfy(\.isNumber) {
                guard let input = value.objectValue else { throw ValidationError("--data must be a JSON object (the FSI input node)") }
                answer = try await client.call(infno: transaction, input: input)
            } else {
                answer = try await client.hse(service: transaction, data: value)
            }
            print(pretty(answer))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }
}

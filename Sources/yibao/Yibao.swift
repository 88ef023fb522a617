import ArgumentParser
import Foundation

/// `yibao` — the command-line face of yibao-gateway.
@main
struct Yibao: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yibao",
        abstract: "Sign, seal and check medical-insurance (医保) platform messages the way the national platform does.",
        discussion: """
        yibao-gateway plays the national medical-insurance platform so a hospital can build and \
        prove its "Internet+" integration. These commands work offline with the dev PKI in certs/ \
        and the test vectors in vectors/.

        Examples:
          yibao keygen --alg sm2
          echo -n hello | yibao sign --private-key-file certs/sm2/hospital.key.pem
          yibao envelope seal --app-id APPID --app-secret SECRET --private-key B64 data.json
          yibao vectors check vectors
          yibao serve                      (then, in another terminal)
          yibao voucher issue
          yibao call 1101 --data '{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"<ecToken>"}}'
          yibao trace verify
        """,
        version: BuildInfo.description,
        subcommands: [
            KeygenCommand.self,
            SignCommand.self,
            VerifyCommand.self,
            EnvelopeCommand.self,
            VectorsCommand.self,
            ErrorsCommand.self,
            BenchCommand.self,
            ServeCommand.self,
            ProxyCommand.self,
            ProfilesCommand.self,
            VoucherCommand.self,
            CallCommand.self,
            TraceCommand.self,
            RxCommand.self,
            DemoCommand.self,
            ConformanceCommand.self,
            RulesCommand.self,
        ]
    )

    /// Parses and runs; `yibao serve` first takes its settings from `--config FILE` / `$YIBAO_CONFIG`
    /// and `$YIBAO_*` (ServeSettings), placed before the command line's own options, which win.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "serve" {
            do {
                arguments = ["serve"] + (try ServeSettings.expand(Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
            } catch {
                FileHandle.standardError.write(Data("yibao serve: \(error)\n".utf8))
                Foundation.exit(2)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

import ArgumentParser
import Foundation
import YibaoCore

/// `yibao errors`: the registry of refusal codes.
struct ErrorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errors",
        abstract: "List every refusal code the gateway answers with: HTTP status, usual rule, the Chinese err_msg wording.",
        discussion: """
        The codes are a registry (Sources/YibaoCore/Support/ErrorCode.swift); docs/ERRORS.md is this \
        command's --markdown output.

        Examples:
          yibao errors                       # one line per code
          yibao errors --code TOKEN_REUSED   # one code
          yibao errors --markdown > docs/ERRORS.md
        """
    )

    @Flag(help: "Print the Markdown table of docs/ERRORS.md.")
    var markdown = false

    @Option(help: ArgumentHelp("Print only this code (exit 1 if it is not registered).", valueName: "CODE"))
    var code: String?

    func run() throws {
        if markdown {
            print(ErrorCode.markdownTable, terminator: "")
            return
        }
        var codes = ErrorCode.all
        if let code {
            guard let found = ErrorCode(rawValue: code.uppercased()) else {
                FileHandle.standardError.write(Data("error: \(code) is not a registered refusal code (yibao errors lists them)\n".utf8))
                throw ExitCode(1)
            }
            codes = [found]
        }
        for code in codes {
            print("\(code.rawValue.padding(toLength: 40, withPad: " ", startingAt: 0)) \(code.status)  \((code.rule?.rawValue ?? "—").padding(toLength: 18, withPad: " ", startingAt: 0)) \(code.zh)")
        }
    }
}

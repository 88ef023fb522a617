import ArgumentParser
import Foundation
import YibaoCore
import YibaoDevKit

/// `yibao profiles [show NAME]`.
struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the dialect profiles (how real provincial HIS code speaks FSI), or print one.",
        discussion: """
        Each profile is a file in profiles/ naming its public source. A gateway speaks one by default \
        (yibao serve --profile NAME) and each institution may have its own \
        (POST /admin/institutions/{code}/profile, or fixture member profile). See docs/DIALECTS.md.

        Examples:
          yibao profiles                     # name, transport authentication, refusal form, HSE, callback, signDigest
          yibao profiles show csb            # the whole file
          yibao serve --profile oauth        # every institution speaks the Jilin OAuth2 dialect
        """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    static func all(_ workspace: WorkspaceOptions) throws -> [DialectProfile] {
        let loaded = try setUp { try DialectCatalogue.load(profilesDirectory: DialectCatalogue.directory(certs: try workspace.certsDirectory())) }
        return loaded.contains { $0.name == DialectProfile.nhsa20.name } ? loaded : [DialectProfile.nhsa20] + loaded
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "One line per profile.", discussion: """
            Examples:
              yibao profiles list
              yibao profiles list --certs certs
            """)
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            for profile in try ProfilesCommand.all(workspace) {
                let fsi = profile.fsi
                let auth = fsi.transportAuth == .none ? "cainfo \(fsi.cainfo.rawValue)" : "\(fsi.transportAuth.rawValue) transport, cainfo \(fsi.cainfo.rawValue)"
                let hse = profile.hse == .strict ? "strict" : "lenient"
                let payment = profile.payment
                print("\(profile.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(auth)\(fsi.encryption == .none ? "" : ", \(fsi.encryption.rawValue)"); refusals \(fsi.refusals.rawValue)"
                      + "; HSE \(hse); callback \(payment.callback.callType.rawValue) acked \(payment.callback.acknowledgement.rawValue); signDigest \(profile.prescription.signDigest.rawValue)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print one profile's file.", discussion: """
            Examples:
              yibao profiles show national
              yibao profiles show csb > csb.json
            """)
        @Argument(help: "The profile's name.") var name: String
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let path = (DialectCatalogue.directory(certs: try workspace.certsDirectory()) as NSString).appendingPathComponent(name + ".json")
            guard let data = FileManager.default.contents(atPath: path) else {
                let known = (try? ProfilesCommand.all(workspace).map(\.name)) ?? []
                throw ValidationError("no profile \(name); known: \(known.joined(separator: ", "))")
            }
            FileHandle.standardOutput.write(data)
        }
    }
}

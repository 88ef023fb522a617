import Foundation
import YibaoCore

/// The dialect profiles of `profiles/` (docs/DIALECTS.md).
public enum DialectCatalogue {
    /// `profiles/` beside the certs folder (the checkout's root).
    public static func directory(certs: String) -> String {
        ((certs as NSString).deletingLastPathComponent as NSString).appendingPathComponent("profiles")
    }

    /// Every `*.json` of `profilesDirectory`, by name; none when the folder is missing (the built-in nhsa-2.0 remains).
    public static func load(profilesDirectory: String) throws -> [DialectProfile] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: profilesDirectory) else { return [] }
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { file in
            let path = (profilesDirectory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else { throw DevKitError("cannot read \(path)") }
            do { return try DialectProfile.decode(data, fileName: String(file.dropLast(5))) } catch let error as DomainError {
                throw DevKitError("\(path): \(error.detail)")
            }
        }
    }
}

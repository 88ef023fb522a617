import Foundation

/// `yibao serve`'s settings from a configuration file and the environment, turned into command-line
/// options placed before the user's own: the command line wins over the environment, the
/// environment over the file, the file over the defaults.
///
/// The file (`--config FILE` or `$YIBAO_CONFIG`) is a JSON object keyed by the long option names —
/// `{"port": 8081, "database": "postgres://…", "log-format": "json", "fault": ["pay-twice"]}`; an
/// unknown key is refused naming it. Raw tokens are not accepted there (name a token file).
/// Environment: `YIBAO_` + the option's name in capitals with `_` for `-` (`YIBAO_PORT`,
/// `YIBAO_LOG_FORMAT`, `YIBAO_TEST_CLOCK=1`, `YIBAO_FAULT=pay-twice,reuse-token`, …);
/// `YIBAO_DATABASE_URL`, `YIBAO_ADMIN_TOKEN` and `YIBAO_CHANNEL_TOKEN` are read where they always were.
enum ServeSettings {
    /// Options taking a value, by their long name.
    static let valued = ["host", "port", "data-dir", "database", "fixture", "policy", "profile", "admin-token-file", "channel-token-file",
                         "log-level", "log-format", "certs", "tls-certificate", "tls-key", "tls-client-ca"]
    /// Flags (true in the file, `1`/`true`/`yes` in the environment).
    static let flags = ["no-fixture", "test-clock", "insecure-dev-tokens"]
    /// Repeatable options (a list in the file, comma-separated in the environment).
    static let repeated = ["fault"]

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `arguments` (after `serve`) with the file's and the environment's settings in front; `--config` removed.
    static func expand(_ arguments: [String], environment: [String: String]) throws -> [String] {
        var user = arguments
        var configPath = environment["YIBAO_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let index = user.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) {
            if user[index].hasPrefix("--config=") {
                configPath = String(user[index].dropFirst("--config=".count))
                user.remove(at: index)
            } else {
                guard index + 1 < user.count else { throw Failure(description: "--config needs a file") }
                configPath = user[index + 1]
                user.removeSubrange(index...(index + 1))
            }
        }
        var prefix: [String] = []
        if let configPath { prefix += try fileArguments(configPath) }
        prefix += try environmentArguments(environment)
        return prefix + user
    }

    static func fileArguments(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "config \(path): cannot be read") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Failure(description: "config \(path): not a JSON object of option names (e.g. {\"port\": 8081, \"log-format\": \"json\"})")
        }
        var out: [String] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            if valued.contains(key) {
                guard let text = (value as? String) ?? (value as? NSNumber).map({ $0.stringValue }) else {
                    throw Failure(description: "config \(path): \"\(key)\" takes a string or a number")
                }
                out += ["--\(key)", text]
            } else if flags.contains(key) {
                guard let on = value as? Bool else { throw Failure(description: "config \(path): \"\(key)\" takes true or false") }
                if on { out.append("--\(key)") }
            } else if repeated.contains(key) {
                guard let list = value as? [String] else { throw Failure(description: "config \(path): \"\(key)\" takes a list of strings") }
                for item in list { out += ["--\(key)", item] }
            } else if key == "admin-token" || key == "channel-token" {
                throw Failure(description: "config \(path): \"\(key)\" is not read from a file of settings: name a file holding it (\"\(key)-file\") or set $YIBAO_\(key.uppercased().replacingOccurrences(of: "-", with: "_"))")
            } else {
                throw Failure(description: "config \(path): unknown key \"\(key)\"; known: \((valued + flags + repeated).sorted().joined(separator: ", "))")
            }
        }
        return out
    }

    static func environmentArguments(_ environment: [String: String]) throws -> [String] {
        func name(_ option: String) -> String { "YIBAO_" + option.uppercased().replacingOccurrences(of: "-", with: "_") }
        var out: [String] = []
        for option in valued where option != "database" {
            if let value = environment[name(option)], !value.isEmpty { out += ["--\(option)", value] }
        }
        for option in flags {
            guard let value = environment[name(option)]?.lowercased(), !value.isEmpty else { continue }
            switch value {
            case "1", "true", "yes": out.append("--\(option)")
            case "0", "false", "no": break
            default: throw Failure(description: "\(name(option))=\(value): use 1 or 0")
            }
        }
        for option in repeated {
            for item in (environment[name(option)] ?? "").split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
                out += ["--\(option)", item.trimmingCharacters(in: .whitespaces)]
            }
        }
        return out
    }
}

/// `yibao --version`: the version and, when the binary runs from a checkout, its commit.
enum BuildInfo {
    static let version = "0.23.0"

    static var description: String {
        guard let commit = commit() else { return version }
        return "\(version) (commit \(commit))"
    }

    /// The checkout's HEAD commit, read from `.git` beside the sources this binary was built from.
    static func commit(file: String = #filePath) -> String? {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        for _ in 0..<4 {
            let git = directory.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                guard head.hasPrefix("ref: ") else { return String(head.prefix(12)) }
                let reference = String(head.dropFirst(5))
                if let sha = try? String(contentsOf: git.appendingPathComponent(reference), encoding: .utf8) {
                    return String(sha.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
                }
                let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
                return packed.split(separator: "\n").first { $0.hasSuffix(" " + reference) }.map { String($0.prefix(12)) }
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}

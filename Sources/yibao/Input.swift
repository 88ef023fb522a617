import ArgumentParser
import Foundation

/// Reads a whole file, or standard input for `-` / no path.
func readInput(_ path: String?) throws -> [UInt8] {
    if path == nil || path == "-" {
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    let url = URL(fileURLWithPath: path!)
    guard FileManager.default.isReadableFile(atPath: url.path) else {
        throw ValidationError("cannot read file \(path!)")
    }
    return [UInt8](try Data(contentsOf: url))
}

/// Writes text to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes raw bytes to standard output.
func writeStandardOutput(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes))
}

/// Key algorithms the CLI handles.
enum KeyAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case sm2
    case p256
}

/// How signatures are printed or read.
enum ByteFormat: String, ExpressibleByArgument, CaseIterable {
    case base64
    case hex
    case binary

    func render(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .base64: return Array((bytes.base64 + "\n").utf8)
        case .hex: return Array((bytes.hex + "\n").utf8)
        case .binary: return bytes
        }
    }

    func parse(_ bytes: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch self {
        case .base64:
            guard let value = [UInt8](base64: text) else { throw ValidationError("the signature is not valid base64") }
            return value
        case .hex:
            guard let value = Hex.decode(text) else { throw ValidationError("the signature is not valid hex") }
            return value
        case .binary: return bytes
        }
    }
}

extension SignatureEncoding: ExpressibleByArgument {}

import YibaoCrypto

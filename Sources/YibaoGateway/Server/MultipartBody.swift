/// A `multipart/form-data` body (RFC 7578), as the official FSI demo sends 9101: a text part `jsonStr`
/// (the FSI envelope) and a file part (`file`, or `in`).
struct MultipartBody {
    struct Part {
        var name: String
        var filename: String?
        var bytes: [UInt8]
    }

    /// Why a body was refused, as a sentence.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let parts: [Part]

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` header, nil for any other type.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
                return value.isEmpty || value.utf8.count > 200 ? nil : value
            }
        }
        return nil
    }

    /// Splits `body` at `--boundary` lines; at most `maximumParts` parts.
    init(_ body: [UInt8], boundary: String, maximumParts: Int = 8) throws {
        let delimiter = Array(("--" + boundary).utf8)
        var positions: [Int] = []
        var index = 0
        while let found = Self.find(delimiter, in: body, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { throw Failure(description: "no multipart parts delimited by the boundary of Content-Type") }
        var parts: [Part] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            // After the delimiter: CRLF (a part follows) or "--" (the end).
            if from + 1 < body.count, body[from] == UInt8(ascii: "-"), body[from + 1] == UInt8(ascii: "-") { break }
            if from + 1 < body.count, body[from] == 13, body[from + 1] == 10 { from += 2 }
            var to = end
            if to >= 2, body[to - 2] == 13, body[to - 1] == 10 { to -= 2 }   // the CRLF before the next delimiter
            guard from <= to else { throw Failure(description: "a multipart part is cut short") }
            let chunk = Array(body[from..<to])
            guard let split = Self.find([13, 10, 13, 10], in: chunk, from: 0) else { throw Failure(description: "a multipart part has no blank line after its headers") }
            let headers = String(decoding: chunk[0..<split], as: UTF8.self)
            var name: String?, filename: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                for item in line.split(separator: ";").dropFirst() {
                    let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2 else { continue }
                    let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
                    switch pair[0].lowercased() {
                    case "name": name = value
                    case "filename": filename = value
                    default: break
                    }
                }
            }
            guard let name else { throw Failure(description: "a multipart part has no Content-Disposition name") }
            parts.append(Part(name: name, filename: filename, bytes: Array(chunk[(split + 4)...])))
            guard parts.count <= maximumParts else { throw Failure(description: "more than \(maximumParts) multipart parts") }
        }
        self.parts = parts
    }

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        let first = needle[0]
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

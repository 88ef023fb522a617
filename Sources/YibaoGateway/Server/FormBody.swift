/// `application/x-www-form-urlencoded` bodies (the OAuth token endpoint, the cashier page's button).
enum FormBody {
    /// `application/x-www-form-urlencoded` pairs of the body, then of the query string.
    static func pairs(_ body: [UInt8], query: String?) -> [String: String] {
        var values: [String: String] = [:]
        for text in [String(decoding: body, as: UTF8.self), query ?? ""] {
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decoded(_ part: Substring) -> String { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part) }
                let key = decoded(parts[0])
                if values[key] == nil { values[key] = parts.count > 1 ? decoded(parts[1]) : "" }
            }
        }
        return values
    }
}

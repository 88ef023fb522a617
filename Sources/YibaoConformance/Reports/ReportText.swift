import Foundation

/// Text helpers shared by the report writers: timestamps, durations, escaping.
enum ReportText {
    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-23T21:10:29.123Z` (JSON, HAR, JUnit, HTML).
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// `date` to the nearest millisecond (the format style truncates, and a binary `Date` of `…29.123`
    /// is often `…29.12299999`).
    static func timestamp(_ date: Date) -> String { timestampStyle.format(date.addingTimeInterval(0.0005)) }

    /// A duration in seconds with three decimals (`1.250`), as JUnit's `time` attributes want; 0 when not finite.
    static func seconds(_ milliseconds: Double) -> String {
        String(format: "%.3f", finite(milliseconds) / 1000)
    }

    /// A duration for people: `850 ms`, `2.35 s`.
    static func humanDuration(_ milliseconds: Double) -> String {
        let value = finite(milliseconds)
        return value < 1000 ? String(format: "%.0f ms", value) : String(format: "%.2f s", value / 1000)
    }

    /// `value`, or 0 when it is NaN or infinite, never negative (durations, HAR times).
    static func finite(_ value: Double) -> Double { value.isFinite ? max(0, value) : 0 }

    /// `\u0001`: how a character that cannot be shown is written instead.
    static func visible(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// Whether XML 1.0 forbids `scalar` in a document (its `Char` production): C0 controls other than
    /// tab, line feed and carriage return, and U+FFFE / U+FFFF.
    static func isForbiddenInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00...0x1F, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    /// Escapes `text` for XML character data or, when `attribute`, for a double- or single-quoted
    /// attribute value (line breaks and tabs as character references so parsers keep them).
    /// Characters XML 1.0 forbids become `\uXXXX` text.
    static func xml(_ text: String, attribute: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\r": out += "&#13;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case _ where isForbiddenInXML(scalar): out += visible(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes `text` for HTML text or a quoted attribute value. Control characters become `\uXXXX`
    /// text, and the `:` of a `://` is written `&#58;` so that the page's source never holds a
    /// literal URL taken from the data (the page references nothing outside itself, and scanners
    /// that check this need not tell data from markup); browsers show the text unchanged.
    static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case ":" where index + 2 < scalars.count && scalars[index + 1] == "/" && scalars[index + 2] == "/":
                out += "&#58;"
            case _ where isForbiddenInXML(scalar) || scalar.value == 0x7F: out += visible(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The reason phrase of the statuses a conformance run meets; empty for others and for 0.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 425: "Too Early"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }

    /// Makes `text` safe to print on a terminal: control characters (escape sequences included)
    /// become `\uXXXX` text; line feeds and tabs stay.
    static func terminal(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x09, 0x0A: out.unicodeScalars.append(scalar)
            case 0x00...0x1F, 0x7F...0x9F: out += visible(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Verdict {
    /// The five-letter-at-most tag of console lines and the HTML table: PASS, FAIL, SKIP, XFAIL, XPASS.
    var tag: String {
        switch self {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .skipped: "SKIP"
        case .expectedFailure: "XFAIL"
        case .unexpectedPass: "XPASS"
        }
    }

    /// The verdict in words: `expected failure`.
    var words: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .skipped: "skipped"
        case .expectedFailure: "expected failure"
        case .unexpectedPass: "unexpected pass"
        }
    }

    /// "3 passed", "1 expected failure", "2 expected failures", "0 unexpected passes".
    func counted(_ count: Int) -> String {
        switch self {
        case .passed, .failed, .skipped: "\(count) \(words)"
        case .expectedFailure: "\(count) expected failure\(count == 1 ? "" : "s")"
        case .unexpectedPass: "\(count) unexpected pass\(count == 1 ? "" : "es")"
        }
    }

    /// Whether the report shows this result's details without being asked: it fails the run and has something to explain.
    var isFailure: Bool { self == .failed || self == .unexpectedPass }
}

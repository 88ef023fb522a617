import Foundation

/// Renders a ``RunReport`` in the ``ReportFormat``s and writes them to a directory.
///
/// Every writer is a pure function of the report: the same report gives the same bytes.
public enum ReportWriter {
    /// `report.json`: `{"summary": {…counts…, "succeeded": bool}, "report": <RunReport>}`, keys sorted,
    /// pretty-printed, dates ISO 8601 in UTC with milliseconds (`2026-11-23T21:10:29.123Z`).
    /// Non-finite durations are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    public static func json(_ report: RunReport) throws -> Data {
        try jsonEncoder().encode(JSONReportDocument(summary: ReportSummary(report), report: report))
    }

    /// The encoder of `report.json`; ``jsonDecoder()`` reads what it writes.
    public static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ReportText.timestamp(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// A decoder for `report.json` (e.g. to compare two runs): `try jsonDecoder().decode(JSONReportDocument.self, from: data)`.
    public static func jsonDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            do {
                return try ReportText.timestampStyle.parse(text)
            } catch {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 timestamp with milliseconds: \(text)")
            }
        }
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// `report` in `format`, as the bytes of its file.
    public static func render(_ report: RunReport, as format: ReportFormat) throws -> Data {
        switch format {
        case .json: try json(report)
        case .junit: Data(junit(report).utf8)
        case .html: Data(html(report).utf8)
        case .har: try har(report)
        }
    }

    /// Writes `report` in each of `formats` (each once, in the order given) into `directory`, creating it
    /// and its parents when missing; returns the paths written. Existing files of the same name are replaced.
    @discardableResult
    public static func write(_ report: RunReport, to directory: String, formats: [ReportFormat] = ReportFormat.allCases) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        var seen: Set<ReportFormat> = []
        var paths: [String] = []
        for format in formats where seen.insert(format).inserted {
            let file = base.appendingPathComponent(format.fileName)
            try render(report, as: format).write(to: file, options: .atomic)
            paths.append(file.path)
        }
        return paths
    }
}

/// The top level of `report.json`.
public struct JSONReportDocument: Sendable, Codable, Hashable {
    public var summary: ReportSummary
    public var report: RunReport

    public init(summary: ReportSummary, report: RunReport) {
        self.summary = summary
        self.report = report
    }
}

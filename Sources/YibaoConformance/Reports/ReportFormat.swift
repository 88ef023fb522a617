/// The files a conformance run can leave behind (`yibao conformance run --report DIR --format …`).
public enum ReportFormat: String, CaseIterable, Sendable {
    /// The whole ``RunReport`` with a summary, for machines and for diffing runs.
    case json
    /// JUnit XML, read by the test reporters of GitLab, Jenkins and GitHub.
    case junit
    /// One self-contained HTML page for people.
    case html
    /// HAR 1.2: every HTTP exchange, for a browser's or proxy's network viewer.
    case har

    /// The file's name inside the report directory.
    public var fileName: String {
        switch self {
        case .json: "report.json"
        case .junit: "junit.xml"
        case .html: "report.html"
        case .har: "exchanges.har"
        }
    }
}

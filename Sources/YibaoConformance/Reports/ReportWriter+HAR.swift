import Foundation

extension ReportWriter {
    /// `exchanges.har`: every ``HTTPExchange`` of the run as HAR 1.2, for a browser's or proxy's
    /// network viewer. One page per case (`id` = case id), one entry per exchange in exchange order
    /// with `pageref` = its case id; an exchange that got no answer has status 0 and an `_error`.
    public static func har(_ report: RunReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(HAR.Document(report))
    }
}

/// The subset of HAR 1.2 (Jan Odvarko's "HTTP Archive 1.2" specification) the report writes.
private enum HAR {
    struct Document: Encodable {
        var log: Log

        init(_ report: RunReport) {
            var pages: [Page] = []
            var seen: Set<String> = []
            // Exchanges made before the first case (the suite's preparation) come first, as they happened.
            let firstCase = report.results.first?.definition.id
            for exchange in report.exchanges.prefix(while: { $0.caseId != firstCase }) where seen.insert(exchange.caseId).inserted {
                pages.append(Page(startedDateTime: ReportText.timestamp(exchange.startedAt), id: exchange.caseId, title: exchange.caseId))
            }
            for result in report.results where seen.insert(result.definition.id).inserted {
                let id = result.definition.id
                let firstExchange = report.exchanges.first { $0.caseId == id }
                pages.append(Page(startedDateTime: ReportText.timestamp(firstExchange?.startedAt ?? report.startedAt),
                                  id: id, title: "\(id) \(result.definition.title)"))
            }
            // Exchanges of a case missing from the results still get a page, so every pageref resolves.
            for exchange in report.exchanges where seen.insert(exchange.caseId).inserted {
                pages.append(Page(startedDateTime: ReportText.timestamp(exchange.startedAt), id: exchange.caseId, title: exchange.caseId))
            }
            log = Log(pages: pages, entries: report.exchanges.map(Entry.init))
        }
    }

    struct Log: Encodable {
        var version = "1.2"
        var creator = Creator()
        var pages: [Page]
        var entries: [Entry]
    }

    struct Creator: Encodable {
        var name = "yibao-gateway conformance"
        var version = "1"
    }

    struct Page: Encodable {
        var startedDateTime: String
        var id: String
        var title: String
        var pageTimings = PageTimings()
    }

    struct PageTimings: Encodable {
        var onContentLoad = -1
        var onLoad = -1
    }

    struct NameValue: Encodable {
        var name: String
        var value: String
    }

    struct Entry: Encodable {
        var pageref: String
        var startedDateTime: String
        var time: Double
        var request: Request
        var response: Response
        var cache: [String: String] = [:]
        var timings: Timings
        var error: String?

        enum CodingKeys: String, CodingKey {
            case pageref, startedDateTime, time, request, response, cache, timings
            case error = "_error"
        }

        init(_ exchange: HTTPExchange) {
            let time = ReportText.finite(exchange.durationMilliseconds)
            pageref = exchange.caseId
            startedDateTime = ReportText.timestamp(exchange.startedAt)
            self.time = time
            request = Request(exchange)
            response = Response(exchange)
            timings = Timings(send: 0, wait: time, receive: 0)
            error = exchange.error
        }
    }

    struct Request: Encodable {
        var method: String
        var url: String
        var httpVersion = "HTTP/1.1"
        var headers: [NameValue]
        var queryString: [NameValue]
        var cookies: [NameValue] = []
        var headersSize = -1
        var bodySize: Int
        var postData: PostData?

        init(_ exchange: HTTPExchange) {
            method = exchange.method
            url = exchange.url
            headers = exchange.requestHeaders.map { NameValue(name: $0.name, value: $0.value) }
            queryString = (URLComponents(string: exchange.url)?.queryItems ?? []).map { NameValue(name: $0.name, value: $0.value ?? "") }
            bodySize = exchange.requestBody.utf8.count
            postData = exchange.requestBody.isEmpty ? nil
                : PostData(mimeType: contentType(exchange.requestHeaders) ?? "application/json", text: exchange.requestBody)
        }
    }

    struct PostData: Encodable {
        var mimeType: String
        var text: String
    }

    struct Response: Encodable {
        var status: Int
        var statusText: String
        var httpVersion: String
        var headers: [NameValue]
        var cookies: [NameValue] = []
        var content: Content
        var redirectURL: String
        var headersSize = -1
        var bodySize: Int

        init(_ exchange: HTTPExchange) {
            let answered = exchange.status != 0
            status = exchange.status
            statusText = ReportText.reasonPhrase(exchange.status)
            // HAR viewers show an unanswered request (status 0) with an empty version, as browsers export it.
            httpVersion = answered ? "HTTP/1.1" : ""
            headers = exchange.responseHeaders.map { NameValue(name: $0.name, value: $0.value) }
            content = Content(size: exchange.responseBody.utf8.count,
                              mimeType: contentType(exchange.responseHeaders) ?? (answered ? "application/json" : "x-unknown"),
                              text: exchange.responseBody)
            redirectURL = exchange.responseHeaders.first { $0.name.lowercased() == "location" }?.value ?? ""
            bodySize = answered ? exchange.responseBody.utf8.count : -1
        }
    }

    struct Content: Encodable {
        var size: Int
        var mimeType: String
        var text: String
    }

    struct Timings: Encodable {
        var send: Double
        var wait: Double
        var receive: Double
    }

    /// The `Content-Type` header's value (any case of its name), or nil.
    static func contentType(_ headers: [HTTPExchange.Header]) -> String? {
        headers.first { $0.name.lowercased() == "content-type" }?.value
    }
}

import Foundation
import Testing
@testable import YibaoCore

// Helpers shared by the core tests.

/// An instant given as China Standard Time: "yyyy-MM-dd" (midnight) or "yyyy-MM-dd HH:mm".
func cst(_ text: String) -> Date {
    let parts = text.split(separator: " ")
    var date = WorkingCalendar.china.date(localDay: String(parts[0]))!
    if parts.count > 1 {
        let clock = parts[1].split(separator: ":").map { Double($0)! }
        date += clock[0] * 3600 + clock[1] * 60
    }
    return date
}

/// The last millisecond of a CST day.
func endOf(_ day: String) -> Date { cst(day).addingTimeInterval(86_400 - 0.001) }

/// Expects `body` to throw a DomainError with `code` and `rule`, and returns it.
@discardableResult
func refusal(_ code: DomainError.Code, _ rule: Rule, pointer: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Void) -> DomainError? {
    let error = #expect(throws: DomainError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, sourceLocation: sourceLocation)
    #expect(error?.rule == rule, sourceLocation: sourceLocation)
    if let pointer { #expect(error?.pointer == pointer, sourceLocation: sourceLocation) }
    return error
}

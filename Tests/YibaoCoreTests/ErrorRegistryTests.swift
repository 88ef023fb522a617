import Foundation
import Testing
import YibaoCore
import YibaoCrypto

/// The registry of refusal codes: complete, well-formed, and docs/ERRORS.md generated from it.
@Suite("Error registry")
struct ErrorRegistryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("codes are unique UPPER_SNAKE names with an HTTP error status and a Chinese err_msg wording")
    func wellFormed() {
        let names = ErrorCode.all.map(\.rawValue)
        #expect(Set(names).count == names.count, "a code is registered twice")
        for code in ErrorCode.all {
            #expect(code.rawValue.range(of: "^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$", options: .regularExpression) != nil, "\(code.rawValue)")
            #expect((400...599).contains(code.status), "\(code.rawValue): status \(code.status)")
            #expect(code.zh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(code.rawValue): \(code.zh) has no Chinese")
            #expect(ErrorCode(rawValue: code.rawValue) == code)
        }
        #expect(ErrorCode(rawValue: "NO_SUCH_CODE") == nil)
    }

    @Test("every code an envelope can fail with is registered, as 400 or 401")
    func envelopeCodes() {
        for code in HSEOpenFailure.Code.all {
            let registered = ErrorCode(rawValue: code.rawValue)
            #expect(registered != nil, "\(code.rawValue) is not in the registry")
            #expect([400, 401].contains(registered?.status ?? 0))
        }
    }

    @Test("a code decodes only when registered")
    func coding() throws {
        let data = try JSONEncoder().encode([ErrorCode.tokenReused])
        #expect(String(decoding: data, as: UTF8.self) == #"["TOKEN_REUSED"]"#)
        #expect(try JSONDecoder().decode([ErrorCode].self, from: data) == [.tokenReused])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ErrorCode].self, from: Data(#"["MADE_UP"]"#.utf8)) }
    }

    @Test("no code is minted outside the registry (ErrorCode(…) appears only in ErrorCode.swift)")
    func noCodesOutside() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        #expect(files.count > 50)
        for file in files where file.lastPathComponent != "ErrorCode.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains("ErrorCode(\""), "\(file.lastPathComponent) mints a code")
            #expect(!text.contains("DomainError(.init(\""), "\(file.lastPathComponent) raises an unregistered code")
        }
    }

    @Test("docs/ERRORS.md is the registry's table (regenerate: yibao errors --markdown > docs/ERRORS.md)")
    func documented() throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("docs/ERRORS.md"), encoding: .utf8)
        #expect(file == ErrorCode.markdownTable)
        for code in ErrorCode.all { #expect(file.contains("| `\(code.rawValue)` |")) }
    }

    @Test("the problem document is read back as written")
    func problemDetailsRoundTrip() {
        let written = ProblemDetails(DomainError(.tokenReused, .conflict, rule: .id2, pointer: "/input/data/mdtrt_cert_no", "used", expected: "a fresh token", actual: "T1"))
        #expect(written.status == 409 && written.code == "TOKEN_REUSED" && written.rule == "ID-2")
        #expect(ProblemDetails(json: written.json, status: 200) == written)
        #expect(written.registered == .tokenReused)
        #expect(written.sentence == "[TOKEN_REUSED ID-2] /input/data/mdtrt_cert_no: used")
    }
}

import Foundation
import Testing
import YibaoArchive
import YibaoTestSupport

/// The zip files of 9101/9102, read and written by YibaoArchive, cross-checked with Python's zipfile.
@Suite("Zip archives of the FSI file transactions")
struct ZipTests {
    /// Runs Python with `code`, giving it `input` on stdin; its stdout bytes.
    func python(_ code: String, input: [UInt8] = []) async throws -> [UInt8] {
        let run = try await Processes.run("/usr/bin/env", ["python3", "-c", code], stdin: input)
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdoutBytes
    }

    @Test("an archive Python's zipfile deflates (as Java's ZipOutputStream does) is read back, entry by entry, CRC checked")
    func readsDeflated() async throws {
        let hex = try await python("""
            import io, sys, zipfile
            b = io.BytesIO()
            with zipfile.ZipFile(b, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("detail.txt", "SETL1\\tM1\\tP1\\t10.00\\t8.00\\t0.00\\t0\\t\\r\\n" * 500)
                z.writestr("folder/", "")
                z.writestr("stored.txt", "plain", compress_type=zipfile.ZIP_STORED)
            sys.stdout.write(b.getvalue().hex())
            """)
        let archive = try #require(Self.bytes(hex: String(decoding: hex, as: UTF8.self)))
        #expect(Zip.looksLikeZip(archive))
        let entries = try Zip.read(archive)
        #expect(entries.map(\.name) == ["detail.txt", "stored.txt"])
        #expect(entries[0].bytes.count == 500 * "SETL1\tM1\tP1\t10.00\t8.00\t0.00\t0\t\r\n".utf8.count)
        #expect(String(decoding: entries[1].bytes, as: UTF8.self) == "plain")
    }

    @Test("an archive we write is read by Python's zipfile, byte for byte")
    func writesStored() async throws {
        let text = Array("SETL1\tM1\tP1\t\t3\t\r\n".utf8)
        let archive = Zip.write([Zip.Entry(name: "result.txt", bytes: text)])
        let read = try await python("import io, sys, zipfile; z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); assert z.testzip() is None; sys.stdout.write(z.read('result.txt').decode())",
                              input: archive)
        #expect(read == text)
        #expect(try Zip.read(archive) == [Zip.Entry(name: "result.txt", bytes: text)])
    }

    @Test("a damaged archive is refused with a sentence: a changed byte (CRC), a truncated file, too many files, more than the bytes allowed")
    func refusesDamage() throws {
        let good = Zip.write([Zip.Entry(name: "a.txt", bytes: Array("hello world".utf8))])
        var flipped = good
        flipped[40] ^= 0x01   // inside the stored data of a.txt
        #expect(throws: Zip.Failure.self) { try Zip.read(flipped) }
        #expect(throws: Zip.Failure.self) { try Zip.read(Array(good.prefix(good.count - 5))) }
        #expect(throws: Zip.Failure.self) { try Zip.read(Array("not a zip at all, not even close".utf8)) }
        let many = Zip.write((0..<20).map { Zip.Entry(name: "\($0).txt", bytes: [0x41]) })
        #expect(throws: Zip.Failure.self) { try Zip.read(many) }
        let big = Zip.write([Zip.Entry(name: "big.txt", bytes: Array(repeating: 0x41, count: 2_000))])
        #expect(throws: Zip.Failure.self) { try Zip.read(big, maximumBytes: 1_000) }
    }

    static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}

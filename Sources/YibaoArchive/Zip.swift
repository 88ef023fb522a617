import CZlib

/// A zip archive as real HIS code exchanges it with FSI 9101/9102: one or a few text files, written
/// by Java's `ZipOutputStream` (deflated) or by hand (stored). Reads stored (0) and deflated (8)
/// entries through the central directory, checking each CRC-32 and size; writes stored entries.
public enum Zip {
    /// One file of an archive.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var bytes: [UInt8]
        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Why an archive was refused; `description` is a sentence for the refusal's detail.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether `bytes` start like a zip archive (`PK\u{3}\u{4}`, or an empty archive's `PK\u{5}\u{6}`).
    public static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6))
    }

    /// The files of `archive`, in central-directory order; at most `maximumEntries` files and
    /// `maximumBytes` uncompressed bytes in all (a zip bomb is refused, not inflated).
    public static func read(_ archive: [UInt8], maximumEntries: Int = 16, maximumBytes: Int = 32 << 20) throws -> [Entry] {
        // The end-of-central-directory record: the last "PK\5\6" within the final 64 KiB + 22 bytes.
        guard archive.count >= 22 else { throw Failure("the file is too short to be a zip archive") }
        var end = -1
        var index = archive.count - 22
        let floor = max(0, archive.count - 22 - 65_535)
        while index >= floor {
            if archive[index] == 0x50, archive[index + 1] == 0x4B, archive[index + 2] == 5, archive[index + 3] == 6 { end = index; break }
            index -= 1
        }
        guard end >= 0 else { throw Failure("no end of central directory: not a zip archive, or a truncated one") }
        let count = Int(u16(archive, end + 10))
        let directorySize = Int(u32(archive, end + 12))
        var offset = Int(u32(archive, end + 16))
        guard count <= maximumEntries else { throw Failure("the archive holds \(count) files; at most \(maximumEntries) are read") }
        guard offset + directorySize <= end else { throw Failure("the central directory lies outside the file") }
        var entries: [Entry] = []
        var total = 0
        for _ in 0..<count {
            guard offset + 46 <= archive.count, u32(archive, offset) == 0x0201_4B50 else { throw Failure("a central-directory record is damaged") }
            let flags = u16(archive, offset + 8)
            let method = u16(archive, offset + 10)
            let crc = u32(archive, offset + 16)
            let compressedSize = Int(u32(archive, offset + 20))
            let size = Int(u32(archive, offset + 24))
            let nameLength = Int(u16(archive, offset + 28)), extraLength = Int(u16(archive, offset + 30)), commentLength = Int(u16(archive, offset + 32))
            let local = Int(u32(archive, offset + 42))
            guard offset + 46 + nameLength <= archive.count else { throw Failure("a file name runs past the end of the archive") }
            let name = String(decoding: archive[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
            offset += 46 + nameLength + extraLength + commentLength
            if name.hasSuffix("/") { continue }   // a folder
            guard flags & 1 == 0 else { throw Failure("\(name) is encrypted") }
            total += size
            guard total <= maximumBytes else { throw Failure("the archive unpacks to more than \(maximumBytes) bytes") }
            guard local + 30 <= archive.count, u32(archive, local) == 0x0403_4B50 else { throw Failure("the local header of \(name) is damaged") }
            let dataStart = local + 30 + Int(u16(archive, local + 26)) + Int(u16(archive, local + 28))
            guard dataStart + compressedSize <= archive.count else { throw Failure("the data of \(name) runs past the end of the archive") }
            let stored = Array(archive[dataStart..<(dataStart + compressedSize)])
            let bytes: [UInt8]
            switch method {
            case 0: bytes = stored
            case 8: bytes = try inflate(stored, expected: size, name: name)
            default: throw Failure("\(name) is compressed with method \(method); only stored (0) and deflated (8) entries are read")
            }
            guard bytes.count == size else { throw Failure("\(name) unpacks to \(bytes.count) bytes, its header says \(size)") }
            guard crc32(bytes) == crc else { throw Failure("the CRC-32 of \(name) does not match: the archive is damaged") }
            entries.append(Entry(name: name, bytes: bytes))
        }
        return entries
    }

    /// An archive of `entries`, stored (not compressed), with a fixed timestamp (1 January 2020) so the
    /// same files always give the same bytes.
    public static func write(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let crc = crc32(entry.bytes)
            let offset = UInt32(out.count)
            // Local header: version 20, no flags, stored, time 00:00, date 2020-01-01.
            out += le32(0x0403_4B50) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5021)
            out += le32(crc) + le32(UInt32(entry.bytes.count)) + le32(UInt32(entry.bytes.count)) + le16(UInt16(name.count)) + le16(0)
            out += name + entry.bytes
            directory += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0x0800) + le16(0) + le16(0) + le16(0x5021)
            directory += le32(crc) + le32(UInt32(entry.bytes.count)) + le32(UInt32(entry.bytes.count)) + le16(UInt16(name.count))
            directory += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + name
        }
        let start = UInt32(out.count)
        out += directory
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
        out += le32(UInt32(directory.count)) + le32(start) + le16(0)
        return out
    }

    /// CRC-32 (zlib's).
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
    }

    private static func inflate(_ input: [UInt8], expected: Int, name: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(expected, 1))
        var stream = z_stream()
        // Raw deflate (no zlib header), as zip stores it.
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Failure("zlib could not start") }
        defer { inflateEnd(&stream) }
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END || (status == Z_BUF_ERROR && expected == 0) else {
            throw Failure("\(name) does not inflate (zlib status \(status)): damaged, or larger than its header says")
        }
        return Array(output.prefix(Int(stream.total_out)))
    }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
}

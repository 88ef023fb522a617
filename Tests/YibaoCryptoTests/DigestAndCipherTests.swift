import Foundation
import Testing
@testable import YibaoCrypto

@Suite("SM3 and SM4")
struct DigestAndCipherTests {
    @Test("SM3 known answers from GB/T 32905")
    func sm3KnownAnswers() throws {
        #expect(try SM3.hash("abc").hex == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        #expect(try SM3.hash(String(repeating: "abcd", count: 16)).hex == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    }

    @Test("SM4 known answer from GB/T 32907, one block and 1,000,000 rounds")
    func sm4KnownAnswers() throws {
        let key = Hex.decode("0123456789abcdeffedcba9876543210")!
        #expect(try SM4.encrypt(key, key: key, padding: .none).hex == "681edf34d206965e86b3e94f536e4246")
        #expect(try SM4.decrypt(Hex.decode("681edf34d206965e86b3e94f536e4246")!, key: key, padding: .none) == key)
        let context = try SM4Context(encrypt: true, key: key, mode: .ecb, padding: .none)
        var block = key
        for _ in 0..<1_000_000 { try context.transformBlock(&block) }
        #expect(block.hex == "595298c7c6fd271f0402f804c33d3f66")
    }

    @Test("SM4 PKCS#7 round trip in ECB and CBC", arguments: [0, 1, 15, 16, 17, 100])
    func sm4RoundTrip(length: Int) throws {
        let key = [UInt8](repeating: 0x11, count: 16), iv = [UInt8](repeating: 0x22, count: 16)
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
        for mode in SM4.Mode.allCases {
            let ciphertext = try SM4.encrypt(message, key: key, mode: mode, iv: iv)
            #expect(ciphertext.count == (length / 16 + 1) * 16)
            #expect(try SM4.decrypt(ciphertext, key: key, mode: mode, iv: iv) == message)
        }
    }

    @Test("SM4 refuses bad padding, bad lengths and bad keys with coded errors")
    func sm4Errors() throws {
        let key = [UInt8](repeating: 0x11, count: 16)
        let ciphertext = try SM4.encrypt(Array("hello".utf8), key: key)
        let wrongKey = [UInt8](repeating: 0x12, count: 16)
        #expect { try SM4.decrypt(ciphertext, key: wrongKey) } throws: { ($0 as? CryptoError)?.code == .invalidPadding }
        #expect { try SM4.decrypt(Array(ciphertext.dropLast()), key: key) } throws: { ($0 as? CryptoError)?.code == .invalidInput }
        #expect { try SM4.encrypt([1], key: [1, 2, 3]) } throws: { ($0 as? CryptoError)?.code == .invalidKey }
        #expect { try SM4.encrypt([1], key: key, mode: .cbc) } throws: { ($0 as? CryptoError)?.code == .invalidInput }
    }

    @Test("SM3 digests and SM4 ciphertexts agree with the openssl CLI")
    func crossCheckWithOpenSSL() async throws {
        let samples: [[UInt8]] = [[], Array("abc".utf8), Array("医保电子凭证 e-voucher".utf8), (0..<1000).map { UInt8($0 % 251) }]
        for sample in samples {
            let result = try await TestSupport.openssl(["dgst", "-sm3", "-r"], stdin: sample)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdoutText.split(separator: " ").first.map(String.init) == (try SM3.hash(sample).hex))
        }
        let key = Hex.decode("00112233445566778899aabbccddeeff")!, iv = Hex.decode("0f0e0d0c0b0a09080706050403020100")!
        for sample in samples {
            let ecb = try await TestSupport.openssl(["enc", "-sm4-ecb", "-K", key.hex], stdin: sample)
            #expect(ecb.stdout == (try SM4.encrypt(sample, key: key, mode: .ecb)))
            let cbc = try await TestSupport.openssl(["enc", "-sm4-cbc", "-K", key.hex, "-iv", iv.hex], stdin: sample)
            #expect(cbc.stdout == (try SM4.encrypt(sample, key: key, mode: .cbc, iv: iv)))
        }
    }
}

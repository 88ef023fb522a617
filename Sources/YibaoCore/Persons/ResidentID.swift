/// 公民身份号码 — the 18-character resident ID number (GB 11643-1999): 17 digits and a check
/// character computed with ISO 7064 MOD 11-2, written `X` (upper case) for 10.
public enum ResidentID {
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    /// The check character for the first 17 digits; nil when `first17` is not 17 ASCII digits.
    public static func checkCharacter(_ first17: String) -> Character? {
        let digits = first17.utf8.map { Int($0) - 0x30 }
        guard digits.count == 17, digits.allSatisfy({ (0...9).contains($0) }) else { return nil }
        return checkCharacters[zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 } % 11]
    }

    /// `first17` with its check character appended.
    public static func completing(_ first17: String) -> String? { checkCharacter(first17).map { first17 + String($0) } }

    /// Why `text` is not a valid resident ID number, or nil when it is.
    public static func problem(_ text: String) -> String? {
        guard text.utf8.count == 18 else { return "a resident ID number has 18 characters, this one has \(text.count)" }
        let first17 = String(text.prefix(17))
        guard let check = checkCharacter(first17) else { return "the first 17 characters of a resident ID number are digits" }
        let last = text.last!
        if last == "x" && check == "X" { return "the check character is written as an upper-case X" }
        guard last == check else { return "the check character (GB 11643, ISO 7064 MOD 11-2) is \(check), not \(last)" }
        return nil
    }
}

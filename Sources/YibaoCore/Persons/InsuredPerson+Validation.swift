/// What the agency may register (admin API and fixtures): each refusal names the member.
extension InsuredPerson {
    /// Checks keys, the resident ID number (length, check character, upper-case `X`), the name
    /// and the balance bounds; `pointer` is where the person sits in the request.
    public func validateForRegistration(pointer: String) throws {
        try TextField.key(psnNo, pointer + "/psnNo", "psnNo", maximum: 40)
        if psnCertType == "01", let problem = ResidentID.problem(certno) {
            throw DomainError.invalidValue(pointer + "/certno", "certno is not a valid resident ID number: \(problem)",
                                           expected: "17 digits and the GB 11643 check character", actual: "\(certno.count) characters", rule: .id1)
        }
        try TextField.key(certno, pointer + "/certno", "certno", maximum: 40)
        try TextField.text(name, pointer + "/name", "name", maximum: 60)
        guard (0...Money.maximumFen).contains(accountBalanceFen) else {
            throw DomainError.invalidValue(pointer + "/accountBalanceFen", "accountBalanceFen must be from 0 to \(Money.maximumFen) fen",
                                           expected: "0 … \(Money.maximumFen)", actual: String(accountBalanceFen), rule: nil)
        }
        if let card = socialSecurityCardNo { try TextField.key(card, pointer + "/socialSecurityCardNo", "socialSecurityCardNo", maximum: 40) }
    }
}

/// Checks of text members set by the agency.
public enum TextField {
    /// A key (code, number): not empty, printable, no spaces or control characters, at most `maximum` characters.
    public static func key(_ value: String, _ pointer: String, _ name: String, maximum: Int) throws {
        guard !value.isEmpty else { throw DomainError.missing(pointer, name) }
        guard value.count <= maximum else {
            throw DomainError.invalidValue(pointer, "\(name) has \(value.count) characters; at most \(maximum)", actual: String(value.prefix(40)) + "…", rule: nil)
        }
        guard value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) }) else {
            throw DomainError.invalidValue(pointer, "\(name) must not contain spaces or control characters", rule: nil)
        }
    }

    /// A text (a name): not empty or blank, no control characters, at most `maximum` characters.
    public static func text(_ value: String, _ pointer: String, _ name: String, maximum: Int) throws {
        guard !value.trimmingSpaces.isEmpty else { throw DomainError.missing(pointer, name) }
        guard value.count <= maximum else {
            throw DomainError.invalidValue(pointer, "\(name) has \(value.count) characters; at most \(maximum)", rule: nil)
        }
        guard !containsControlCharacters(value) else {
            throw DomainError.invalidValue(pointer, "\(name) must not contain control characters", rule: nil)
        }
    }

    /// Whether `value` holds a C0 or C1 control character or DEL (tab, line feed and carriage return included).
    public static func containsControlCharacters(_ value: String) -> Bool {
        value.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }
    }
}

extension String {
    var trimmingSpaces: Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\u{3000}" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\u{3000}" })!
        return Substring(scalars[first...last])
    }
}

/// Comparisons of secrets (cashier tokens, e-prescription tokens) that take the same time whatever
/// the first differing byte.
public enum ConstantTime {
    /// Whether `a` and `b` have the same UTF-8 bytes; no early exit once the lengths agree.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

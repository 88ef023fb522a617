import Foundation

/// Amounts: fen (Int64) inside, yuan with two decimals on the wire.
public enum Money {
    /// 123456 → "1234.56".
    public static func yuan(_ fen: Int64) -> String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        return "\(sign)\(magnitude / 100).\(String(format: "%02d", Int(magnitude % 100)))"
    }
}

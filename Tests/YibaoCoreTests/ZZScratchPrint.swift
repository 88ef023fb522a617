import Foundation
import Testing
@testable import YibaoCore
@Test func zzScratchPrint() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let all = try RegionPolicy.load(directory: root.appendingPathComponent("policies/regions"))
    let tj = all["120000"]!, bj = all["110000"]!
    let lines = try PolicyEngine.classify([FeeLine(feedetlSn: "1", medListCodg: "AADG0000", pric: "25.00", cnt: 1),
        FeeLine(feedetlSn: "2", medListCodg: "XA10BBG001A001010103929", pric: "28.60", cnt: 1), FeeLine(feedetlSn: "3", medListCodg: "DELIVERY0001", pric: "8.00", cnt: 1, rxCircFlag: true)], scope: tj)
    for l in lines { print(l.notes.joined(separator: "\n  ")) }
    let r = try PolicyEngine.settle(lines, insurance: bj, insutype: "310", institutionLevel: "3", person: PersonYear(deductibleUsed: "1780.00", accountBalance: "10.00"), useAccount: true)
    print(r.steps.joined(separator: "\n"))
    let e = JSONEncoder(); e.outputFormatting = [.prettyPrinted, .sortedKeys]
    var r2 = r; r2.lines = [r.lines[0]]
    print(String(decoding: try e.encode(r2), as: UTF8.self))
}

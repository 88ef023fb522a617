import Foundation

/// 目录对照 — an institution's own item (`fixmedins_hilist_id`, its code in its HIS) mapped to the platform's
/// catalogue code (`med_list_codg`), uploaded with FSI 3301 and cancelled with 3302. A profile that requires
/// mapping (docs/DIALECTS.md `fsi.requireCatalogueMapping`) refuses 2204/6201 lines whose own code is not mapped.
public struct CatalogueMapping: Sendable, Codable, Hashable {
    public var institutionCode: String
    /// 定点医药机构目录编号 — the institution's own code (2204's `medins_list_codg`).
    public var fixmedinsHilistId: String
    public var fixmedinsHilistName: String
    /// 目录类别 `list_type`: 101 western and patent drugs, 102 herbal pieces, 201 services, 301 consumables.
    public var listType: String
    /// 医疗目录编码 — the platform's catalogue code.
    public var medListCodg: String
    /// `begndate` / `enddate`, yyyy-MM-dd ("" enddate: open-ended).
    public var beginDate: String
    public var endDate: String
    /// The other members as sent (aprvno, dosform, exct_cont, item_cont, prcunt, spec, pacspec, memo).
    public var details: [String: String]
    public var valid: Bool
    public var updatedAt: Date

    public init(institutionCode: String, fixmedinsHilistId: String, fixmedinsHilistName: String, listType: String, medListCodg: String,
                beginDate: String, endDate: String, details: [String: String], updatedAt: Date) {
        self.institutionCode = institutionCode
        self.fixmedinsHilistId = fixmedinsHilistId
        self.fixmedinsHilistName = fixmedinsHilistName
        self.listType = listType
        self.medListCodg = medListCodg
        self.beginDate = beginDate
        self.endDate = endDate
        self.details = details
        self.valid = true
        self.updatedAt = updatedAt
    }

    /// In force on `day` (yyyy-MM-dd).
    public func inForce(on day: String) -> Bool { valid && beginDate <= day && (endDate.isEmpty || day <= endDate) }

    /// `list_type` of a catalogue item's kind.
    public static func listType(of kind: CatalogueItem.Kind) -> String {
        switch kind {
        case .drug: "101"
        case .service, .delivery: "201"
        case .consumable: "301"
        }
    }
    /// The list types 3301 accepts.
    public static let listTypes = ["101", "102", "103", "201", "301"]
}

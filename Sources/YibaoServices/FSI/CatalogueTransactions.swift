import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// The catalogue transactions (docs/SETTLEMENT.md §13): 3301/3302 map an institution's own item codes to
/// the platform's catalogue (the region policy's, policies/regions), 1312 pages through that catalogue,
/// 1316/1317 the mappings, 1318 the price limits, 1319 the self-pay ratios, 1901 the code tables.
extension FSITransactions {
    // MARK: 3301 / 3302 mapping

    /// `data`: one mapping or a list of them (openhis sends a list).
    func uploadMappings(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        let scope = try SettlementCalculator.region(institution.admdvs, in: regions, pointer: "/fixmedins_code", rule: .xr6)
        let items: [(JSONObject, String)]
        switch request.input.object["data"] {
        case .object(let object)?: items = [(object, "/input/data")]
        case .array(let list)? where !list.isEmpty:
            items = try list.enumerated().map { index, item in
                guard case .object(let object) = item else { throw DomainError.invalidValue("/input/data/\(index)", "a mapping is an object") }
                return (object, "/input/data/\(index)")
            }
        default: throw DomainError.missing("/input/data", "\"data\" (a mapping, or a list of them)")
        }
        var mapped: [String] = []
        for (object, pointer) in items {
            let data = Fields(object, at: pointer)
            let own = try data.string("fixmedins_hilist_id", "the institution's own item code")
            let code = try data.string("med_list_codg", "the platform's catalogue code")
            guard scope.item(code: code) != nil else {
                throw DomainError(.catalogueItemUnknown, .notFound, rule: .py3, pointer: data.path("med_list_codg"),
                                  "\(code) is not in the catalogue of \(scope.admdvs) \(scope.name) (1312 lists it)", actual: code)
            }
            var details: [String: String] = [:]
            for key in ["aprvno", "dosform", "exct_cont", "item_cont", "prcunt", "spec", "pacspec", "memo", "prdr_name"] {
                if let value = try data.optionalString(key) { details[key] = value }
            }
            let end = try data.optionalString("enddate") == nil ? "" : try Self.day(data, "enddate")
            let mapping = CatalogueMapping(institutionCode: request.institutionCode, fixmedinsHilistId: own,
                                           fixmedinsHilistName: try data.string("fixmedins_hilist_name"),
                                           listType: try data.oneOf("list_type", CatalogueMapping.listTypes, rule: .py3), medListCodg: code,
                                           beginDate: try Self.day(data, "begndate"), endDate: end, details: details, updatedAt: now)
            if !end.isEmpty, end < mapping.beginDate {
                throw DomainError.invalidValue(data.path("enddate"), "enddate must not be before begndate", expected: "≥ \(mapping.beginDate)", actual: end)
            }
            try await store.save(mapping)
            mapped.append(own)
        }
        return (.object([:]), TraceEvent(at: now, kind: "fsi.3301", actor: request.institutionCode, subject: mapped.joined(separator: ","),
                                        payload: ["msgid": request.msgid, "mappings": String(mapped.count)]))
    }

    /// `data` (or `catalogcompin`, as one vendor sends it) {`fixmedins_code`, `fixmedins_hilist_id`, `list_type`, `med_list_codg`}.
    func cancelMapping(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try Fields(in: request.input, request.input.object["catalogcompin"] != nil ? "catalogcompin" : "data")
        try await authorise(request.institutionCode, store: store, now: now)
        if let code = try data.optionalString("fixmedins_code"), code != request.institutionCode {
            throw DomainError.invalidValue(data.path("fixmedins_code"), "fixmedins_code must be the sending institution's", expected: request.institutionCode, actual: code)
        }
        let own = try data.string("fixmedins_hilist_id")
        let code = try data.string("med_list_codg")
        guard var mapping = try await store.catalogueMapping(institutionCode: request.institutionCode, fixmedinsHilistId: own), mapping.valid,
              mapping.medListCodg == code else {
            throw DomainError(.catalogueMappingUnknown, .notFound, rule: .py3, pointer: data.path("fixmedins_hilist_id"),
                              "\(request.institutionCode) has no mapping of \(own) to \(code) in force", actual: own)
        }
        mapping.valid = false
        mapping.updatedAt = now
        try await store.save(mapping)
        return (.object([:]), TraceEvent(at: now, kind: "fsi.3302", actor: request.institutionCode, subject: own, payload: ["msgid": request.msgid]))
    }

    /// When the profile requires mapping: the line's own code (`medins_list_codg`) is mapped, in force, to its `med_list_codg`.
    static func requireMapped(_ own: String?, medListCodg: String, institution: String, store: any StoreReading, now: Date, pointer: String) async throws {
        guard let own, !own.isEmpty else {
            throw DomainError.missing(pointer, "\"\(pointer.split(separator: "/").last ?? "")\" (the institution's own item code: this profile requires mapped items, 3301)")
        }
        guard let mapping = try await store.catalogueMapping(institutionCode: institution, fixmedinsHilistId: own), mapping.inForce(on: Timestamps.day(now)),
              mapping.medListCodg == medListCodg else {
            throw DomainError(.catalogueItemNotMapped, .forbidden, rule: .py3, pointer: pointer,
                              "\(own) is not mapped to \(medListCodg) by a 3301 mapping of \(institution) in force: upload the mapping first (3301); 1317 lists the mappings",
                              actual: own)
        }
    }

    // MARK: Queries of the catalogue

    /// 1312: the catalogue of the institution's region (or `insu_admdvs`'s), paged.
    func catalogueQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let (data, scope) = try await catalogueScope(request, store: store, now: now)
        let code = try data.optionalString("hilist_code"), name = try data.optionalString("hilist_name")
        let listType = try data.optionalString("list_type"), chargeType = try data.optionalString("med_chrgitm_type")
        let rows: [JSONValue] = Self.items(of: scope).filter { item in
            (code.map { $0 == item.code } ?? true) && (name.map { item.name.contains($0) } ?? true)
                && (listType.map { $0 == CatalogueMapping.listType(of: item.kind) } ?? true) && (chargeType.map { $0 == item.medChrgitmType } ?? true)
        }.map { item in
            .object(["hilist_code": .string(item.code), "hilist_name": .string(item.name), "insu_admdvs": .string(scope.admdvs),
                     "begndate": .string("\(scope.year)-01-01"), "enddate": .string("\(scope.year)-12-31"), "med_chrgitm_type": .string(item.medChrgitmType),
                     "chrgitm_lv": .string(item.chargeLevel), "list_type": .string(CatalogueMapping.listType(of: item.kind)), "lmt_used_flag": "0",
                     "vali_flag": "1", "updt_time": .string("\(scope.year)-01-01 00:00:00")])
        }
        return try page(rows, data, request: request, now: now)
    }

    /// 1316: the platform's medical list codes against the catalogue's (one and the same in this catalogue).
    func listMatchQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let (data, scope) = try await catalogueScope(request, store: store, now: now)
        let code = try data.optionalString("hilist_code") ?? data.optionalString("med_list_codg")
        let rows: [JSONValue] = Self.items(of: scope).filter { item in code.map { $0 == item.code } ?? true }.map { item in
            .object(["med_list_codg": .string(item.code), "hilist_code": .string(item.code), "list_type": .string(CatalogueMapping.listType(of: item.kind)),
                     "insu_admdvs": .string(scope.admdvs), "begndate": .string("\(scope.year)-01-01"), "enddate": .string("\(scope.year)-12-31"),
                     "vali_flag": "1", "updt_time": .string("\(scope.year)-01-01 00:00:00")])
        }
        return try page(rows, data, request: request, now: now)
    }

    /// 1317: the asking institution's mappings (3301), paged; another institution's are never listed.
    func institutionMatchQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let (data, scope) = try await catalogueScope(request, store: store, now: now)
        if let code = try data.optionalString("fixmedins_code"), code != request.institutionCode {
            throw DomainError.invalidValue(data.path("fixmedins_code"), "1317 lists the sending institution's own mappings", expected: request.institutionCode, actual: code)
        }
        let own = try data.optionalString("medins_list_codg"), code = try data.optionalString("med_list_codg"), listType = try data.optionalString("list_type")
        let valid = try data.optionalString("vali_flag")
        let rows: [JSONValue] = try await store.catalogueMappings(institutionCode: request.institutionCode).filter { mapping in
            (own.map { $0 == mapping.fixmedinsHilistId } ?? true) && (code.map { $0 == mapping.medListCodg } ?? true)
                && (listType.map { $0 == mapping.listType } ?? true) && (valid.map { $0 == (mapping.valid ? "1" : "0") } ?? true)
        }.map { mapping in
            var row: JSONObject = ["fixmedins_code": .string(mapping.institutionCode), "medins_list_codg": .string(mapping.fixmedinsHilistId),
                                   "medins_list_name": .string(mapping.fixmedinsHilistName), "insu_admdvs": .string(scope.admdvs),
                                   "list_type": .string(mapping.listType), "med_list_codg": .string(mapping.medListCodg),
                                   "begndate": .string(mapping.beginDate), "enddate": .string(mapping.endDate), "vali_flag": .string(mapping.valid ? "1" : "0"),
                                   "updt_time": .string(Timestamps.fsi(mapping.updatedAt))]
            for (key, value) in mapping.details { row[key] = .string(value) }
            return .object(row)
        }
        return try page(rows, data, request: request, now: now)
    }

    /// 1318: the price limits (the catalogue's price caps, and the consultation's price).
    func priceLimitQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let (data, scope) = try await catalogueScope(request, store: store, now: now)
        let code = try data.optionalString("hilist_code")
        let rows: [JSONValue] = Self.items(of: scope).compactMap { item -> JSONValue? in
            guard let cap = item.priceCap, code.map({ $0 == item.code }) ?? true else { return nil }
            return .object(["hilist_code": .string(item.code), "hilist_lmtpric_type": "1", "overlmt_dspo_way": "1", "insu_admdvs": .string(scope.admdvs),
                            "begndate": .string("\(scope.year)-01-01"), "enddate": .string("\(scope.year)-12-31"),
                            "hilist_pric_uplmt_amt": .string(Money.yuan(cap.fen)), "vali_flag": "1", "updt_time": .string("\(scope.year)-01-01 00:00:00")])
        }
        return try page(rows, data, request: request, now: now)
    }

    /// 1319: the self-pay ratios of class-B items (先行自付比例).
    func selfPayRatioQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let (data, scope) = try await catalogueScope(request, store: store, now: now)
        let code = try data.optionalString("hilist_code")
        let rows: [JSONValue] = Self.items(of: scope).compactMap { item -> JSONValue? in
            guard let share = item.selfPayShare, code.map({ $0 == item.code }) ?? true else { return nil }
            return .object(["hilist_code": .string(item.code), "selfpay_prop_psn_type": "0", "selfpay_prop_type": "1", "insu_admdvs": .string(scope.admdvs),
                            "begndate": .string("\(scope.year)-01-01"), "enddate": .string("\(scope.year)-12-31"), "selfpay_prop": .string(share.description),
                            "vali_flag": "1", "updt_time": .string("\(scope.year)-01-01 00:00:00")])
        }
        return try page(rows, data, request: request, now: now)
    }

    /// 1901: one code table, `list` [{type, label, value, parent_value, sort, vali_flag}] (and the camelCase
    /// `parentValue`/`valiFlag` some vendor code reads). Input members in either case, as vendors send them.
    func dictionaryQuery(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        let data = try request.dataOrInput()
        try await authorise(request.institutionCode, store: store, now: now)
        let type = try data.string("type", "the code table, e.g. insutype, med_type, clr_type")
        guard let values = CodeTables.tables[type.uppercased()] else {
            throw DomainError(.dictionaryTypeUnknown, .notFound, rule: .protocolFields, pointer: data.path("type"), "no code table \(type)",
                              expected: CodeTables.tables.keys.sorted().map { $0.lowercased() }.joined(separator: ", "), actual: type)
        }
        let parent = try data.optionalString("parentValue") ?? data.optionalString("parent_value")
        let rows: [JSONValue] = values.enumerated().filter { entry in parent.map { entry.element.parent == $0 } ?? true }.map { index, value in
            .object(["type": .string(type.uppercased()), "label": .string(value.label), "value": .string(value.value), "parent_value": .string(value.parent),
                     "parentValue": .string(value.parent), "sort": .string(String(index + 1)), "vali_flag": "1", "valiFlag": "1"])
        }
        return (.object(["list": .array(rows)]), TraceEvent(at: now, kind: "fsi.1901", actor: request.institutionCode, subject: type.uppercased(),
                                                          payload: ["msgid": request.msgid, "rows": String(rows.count)]))
    }

    // MARK: Helpers

    /// The query's `data` and the region it asks about: `insu_admdvs` when sent, else the institution's.
    private func catalogueScope(_ request: FSICall, store: any StoreReading, now: Date) async throws -> (Fields, RegionPolicy) {
        let data = try request.dataOrInput()
        let institution = try await authorise(request.institutionCode, store: store, now: now)
        if let admdvs = try data.optionalString("insu_admdvs") {
            guard admdvs.count == 6, admdvs.allSatisfy(\.isNumber) else {
                throw DomainError.invalidValue(data.path("insu_admdvs"), "insu_admdvs is a 6-digit division code", expected: "e.g. 120000", actual: admdvs)
            }
            return (data, try SettlementCalculator.region(admdvs, in: regions, pointer: data.path("insu_admdvs"), rule: .xr6))
        }
        return (data, try SettlementCalculator.region(institution.admdvs, in: regions, pointer: "/fixmedins_code", rule: .xr6))
    }

    /// The catalogue's items, the consultation (AADG0000) first.
    static func items(of scope: RegionPolicy) -> [CatalogueItem] { [scope.consultation.item] + scope.catalogue }

    /// The paged answer real code reads (PageHelper members): `data` plus the page's numbers.
    private func page(_ rows: [JSONValue], _ data: Fields, request: FSICall, now: Date) throws -> (JSONValue, TraceEvent) {
        func number(_ key: String, default value: Int, maximum: Int) throws -> Int {
            let text: String? = switch data.object[key] {
            case .number(let literal)?: literal
            case .string(let string)? where !string.isEmpty: string
            default: nil
            }
            guard let text else { return value }
            guard let number = Int(text), number >= 1, number <= maximum else {
                throw DomainError.invalidValue(data.path(key), "\(key) is a whole number from 1 to \(maximum)", expected: "1…\(maximum)", actual: text)
            }
            return number
        }
        let size = try number("page_size", default: 100, maximum: 1_000)
        let pageNumber = try number("page_num", default: 1, maximum: 1_000_000)
        let pages = max(1, (rows.count + size - 1) / size)
        let start = min(rows.count, (pageNumber - 1) * size)
        let slice = Array(rows[start..<min(rows.count, start + size)])
        return (.object(["data": .array(slice), "pageNum": .integer(pageNumber), "pageSize": .integer(size), "size": .integer(slice.count),
                         "startRow": .integer(slice.isEmpty ? 0 : start + 1), "recordCounts": .integer(rows.count), "pages": .integer(pages),
                         "firstPage": .integer(1), "lastPage": .integer(pages)]),
                TraceEvent(at: now, kind: "fsi.\(request.infno)", actor: request.institutionCode, subject: String(pageNumber),
                           payload: ["msgid": request.msgid, "rows": String(slice.count)]))
    }
}

extension CatalogueItem {
    /// 收费项目等级 `chrgitm_lv`: 01 class A, 02 class B, 03 class C.
    var chargeLevel: String { itemClass.chrgitmLv }
}

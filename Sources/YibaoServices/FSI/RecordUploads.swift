import Foundation
import YibaoCore
import YibaoCrypto
import YibaoStore

/// SV-1: the medical records an Internet+ visit uploads in real time — 4301 门急诊诊疗记录 (the outpatient
/// visit record) and 4701 电子病历 (the electronic medical record). Real HIS code sends their nodes as
/// objects or as lists (by province), a Guangdong client sends the string `"null"` for an empty node,
/// and unknown members are kept out of the way, not refused. The gateway checks what ties the record
/// to a visit (`mdtrt_id`, `psn_no`, a diagnosis), records the upload (``FSIMessage``, subject the visit)
/// and keeps no clinical text: a settlement of the visit without it is flagged for manual review
/// (AUD-REC-001).
extension FSITransactions {
    // MARK: 4301 outpatient / emergency visit record

    func uploadOutpatientRecord(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(request.institutionCode, store: store, now: now)
        let registration = try Self.firstObject(request.input, "rgstinfo", what: "the registration of the visit (mdtrt_id, psn_no, mdtrt_sn)")
        let mdtrtId = try registration.string("mdtrt_id")
        let psnNo = try registration.string("psn_no")
        _ = try registration.string("mdtrt_sn", "the hospital's own visit number")
        let visit = try await openVisit(mdtrtId, psnNo: psnNo, request: request, store: store, pointer: registration.path("mdtrt_id"))
        let diagnoses = try Self.objects(request.input, "diseinfo", required: true)
        for line in diagnoses {
            _ = try line.string("diag_code", "the diagnosis code")
            _ = try line.string("diag_name", "the diagnosis name")
        }
        let prescriptions = try Self.objects(request.input, "rxinfo", required: false)
        let cases = try Self.objects(request.input, "caseinfo", required: false)
        return (.object([:]), TraceEvent(at: now, kind: "fsi.4301", actor: request.institutionCode, subject: visit.mdtrtId,
                                        payload: ["msgid": request.msgid, "psn_no": psnNo, "diseinfo": String(diagnoses.count),
                                                  "rxinfo": String(prescriptions.count), "caseinfo": String(cases.count)]))
    }

    // MARK: 4701 electronic medical record

    func uploadMedicalRecord(_ request: FSICall, store: any StoreWriting, now: Date) async throws -> (JSONValue, TraceEvent) {
        try await authorise(request.institutionCode, store: store, now: now)
        let admission = try Self.firstObject(request.input, "adminfo", what: "the visit's record header (mdtrt_id, psn_no)")
        let mdtrtId = try admission.string("mdtrt_id")
        let psnNo = try admission.string("psn_no")
        let visit = try await openVisit(mdtrtId, psnNo: psnNo, request: request, store: store, pointer: admission.path("mdtrt_id"))
        let diagnoses = try Self.objects(request.input, "diseinfo", required: true)
        for line in diagnoses {
            // Western-medicine diagnosis code and name (wm_diag_code / wm_diag_name); a TCM-only line names tcm_diag_code.
            if try line.optionalString("tcm_diag_code") == nil {
                _ = try line.string("wm_diag_code", "the diagnosis code (wm_diag_code, or tcm_diag_code for a TCM diagnosis)")
            }
        }
        var counts: [String: String] = ["msgid": request.msgid, "psn_no": psnNo, "diseinfo": String(diagnoses.count)]
        for node in ["coursrinfo", "oprninfo", "rescinfo", "dieinfo", "dscginfo"] {
            counts[node] = String(try Self.objects(request.input, node, required: false).count)
        }
        return (.object([:]), TraceEvent(at: now, kind: "fsi.4701", actor: request.institutionCode, subject: visit.mdtrtId, payload: counts))
    }

    // MARK: Nodes as real code sends them

    /// The objects of node `key`: one object, a list of objects, or — when not `required` — absent, `null`,
    /// an empty list or the string `"null"`.
    static func objects(_ input: Fields, _ key: String, required: Bool) throws -> [Fields] {
        let at = input.path(key)
        switch input.object[key] {
        case .none, .null?, .string("null")?, .string("")?:
            if required { throw DomainError.missing(at, "\"\(key)\" (an object or a list of objects)") }
            return []
        case .object(let object)?:
            return [Fields(object, at: at)]
        case .array(let items)?:
            if required && items.isEmpty { throw DomainError.missing(at, "\"\(key)\" with at least one entry") }
            return try items.enumerated().map { index, item in
                guard case .object(let object) = item else {
                    throw DomainError.invalidValue("\(at)/\(index)", "an entry of \(key) is an object", expected: "object", actual: item.typeName)
                }
                return Fields(object, at: "\(at)/\(index)")
            }
        case let value?:
            throw DomainError.invalidValue(at, "\"\(key)\" is an object or a list of objects", expected: "object | array", actual: value.typeName)
        }
    }

    /// The first object of a required node sent as one object or a one-entry list.
    static func firstObject(_ input: Fields, _ key: String, what: String) throws -> Fields {
        guard let first = try objects(input, key, required: true).first else { throw DomainError.missing(input.path(key), what) }
        return first
    }
}

import Foundation
import YibaoCore
import YibaoCrypto

/// Decodes a JSON value into a Codable model.
enum ModelDecoding {
    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, what: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(value.serialized().utf8)) } catch {
            throw YibaoClientError.invalidResponse("\(what) does not have the documented fields: \(error)")
        }
    }
}

/// The answer of 1101.
public struct PersonInfo: Sendable, Codable, Hashable {
    public struct BaseInfo: Sendable, Codable, Hashable {
        public var psn_no: String
        public var psn_cert_type: String
        public var certno: String
        public var psn_name: String
        public var gend: String
        public var naty: String
        public var brdy: String
        public var age: Int
    }
    public struct InsuranceInfo: Sendable, Codable, Hashable {
        public var insuplc_admdvs: String
        public var insutype: String
        /// Personal-account balance, yuan with two decimals as sent.
        public var balc: Decimal
        public var psn_type: String
        public var psn_insu_stas: String
        public var psn_insu_date: String
        public var cvlserv_flag: String
        public var emp_name: String
    }
    public var baseinfo: BaseInfo
    public var insuinfo: [InsuranceInfo]

    static func decode(_ value: JSONValue) throws -> PersonInfo { try ModelDecoding.decode(PersonInfo.self, value, what: "the 1101 output") }
}

/// The body of 2201.
public struct RegistrationRequest: Sendable, Hashable {
    public var psnNo: String
    public var insutype: String
    public var beginTime: Date
    public var medium: IdentityMedium
    public var certNo: String
    public var iptOtpNo: String
    public var doctorCode: String
    public var doctorName: String
    public var deptCode: String
    public var deptName: String
    public var caty: String

    public init(psnNo: String, insutype: String, beginTime: Date, medium: IdentityMedium, certNo: String, iptOtpNo: String,
                doctorCode: String, doctorName: String, deptCode: String, deptName: String, caty: String) {
        self.psnNo = psnNo
        self.insutype = insutype
        self.beginTime = beginTime
        self.medium = medium
        self.certNo = certNo
        self.iptOtpNo = iptOtpNo
        self.doctorCode = doctorCode
        self.doctorName = doctorName
        self.deptCode = deptCode
        self.deptName = deptName
        self.caty = caty
    }

    var json: JSONObject {
        ["psn_no": .string(psnNo), "insutype": .string(insutype), "begntime": .string(Timestamps.fsi(beginTime)),
         "mdtrt_cert_type": .string(medium.rawValue), "mdtrt_cert_no": .string(certNo), "ipt_otp_no": .string(iptOtpNo),
         "atddr_no": .string(doctorCode), "dr_name": .string(doctorName), "dept_code": .string(deptCode),
         "dept_name": .string(deptName), "caty": .string(caty)]
    }
}

/// The answer of `ec.query`.
public struct VoucherScan: Sendable, Codable, Hashable {
    public var userName: String
    public var idNo: String
    public var idType: String
    public var insuOrg: String
    public var ecIndexNo: String
    public var ecToken: String
    public var authNo: String
    public var businessType: String
    public var expireTime: String

    static func decode(_ value: JSONValue) throws -> VoucherScan { try ModelDecoding.decode(VoucherScan.self, value, what: "the ec.query answer") }
}

/// The answer of `ec.payAuth`.
public struct PayAuthorisation: Sendable, Codable, Hashable {
    public var payAuthNo: String
    public var psnNo: String
    public var userName: String
    public var idNo: String
    public var idType: String
    public var insuOrg: String
    public var expireTime: String

    static func decode(_ value: JSONValue) throws -> PayAuthorisation { try ModelDecoding.decode(PayAuthorisation.self, value, what: "the ec.payAuth answer") }
}

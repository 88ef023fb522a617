import Foundation
import YibaoCore
import YibaoCrypto

extension YibaoClient {
    /// 9101: uploads `bytes` as `filename` (`fsUploadIn.in` as Base64); the answer's `file_qury_no`, `filename`, `dld_endtime`.
    public func uploadFile(filename: String, bytes: [UInt8]) async throws -> JSONValue {
        try await call(infno: "9101", input: ["fsUploadIn": .object(["in": .string(bytes.base64), "filename": .string(filename),
                                                                     "fixmedins_code": .string(credentials.fixmedinsCode)])])
    }

    /// 9102: the bytes of file `fileQuryNo` (answered as `application/octet-stream`); a JSON answer is the refusal it carries.
    public func downloadFile(fileQuryNo: String, filename: String) async throws -> [UInt8] {
        let envelope = try await envelope(infno: "9102", input: ["fsDownloadIn": .object(["file_qury_no": .string(fileQuryNo), "filename": .string(filename),
                                                                                            "fixmedins_code": "plc"])])
        let (status, bytes) = try await HTTP.exchange(http, url: baseURL + "/fsi/api/rsfComIfsService/callService",
                                                      body: Array(JSONValue.object(envelope).serialized().utf8), observer: observer)
        if let object = (try? JSONValue.parse(bytes))?.objectValue {
            if case .object(let problem)? = object["problem"] { throw YibaoClientError(status: status, problem: problem) }
            throw YibaoClientError(status: status, problem: object)
        }
        guard status == 200 else { throw YibaoClientError(status: status, code: "HTTP_\(status)", detail: String(decoding: bytes.prefix(200), as: UTF8.self)) }
        return bytes
    }
}

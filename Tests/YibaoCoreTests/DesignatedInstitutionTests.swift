import Foundation
import Testing
@testable import YibaoCore

/// SC-5 (BJ annex §1): Internet follow-ups at the person's own designated institutions; outpatient
/// special-disease fees at their special-disease institution — at home; away from home the filing rules apply.
@Suite("SC-5: the person's own designated institutions")
struct DesignatedInstitutionTests {
    static func person(designated: [String]? = nil, specialDisease: [String]? = nil) -> InsuredPerson {
        var person = InsuredPerson(psnNo: "11000000000000000099", certno: "110105198001010017", name: "Test Person", gender: "1", birthDate: "1980-01-01",
                                   insutype: "310", insuplcAdmdvs: "110100")
        person.designatedInstitutions = designated
        person.specialDiseaseInstitutions = specialDisease
        return person
    }

    @Test("a follow-up at home is at one of the chosen institutions; away from home, or with none chosen, the rule does not apply")
    func followUps() throws {
        let chosen = Self.person(designated: ["H11010500003", "H11010500004"])
        try chosen.requireOwnDesignatedInstitution("H11010500004", local: true, pointer: "/fixmedins_code")
        let error = refusal(.notOwnDesignatedInstitution, .sc5, pointer: "/fixmedins_code") {
            try chosen.requireOwnDesignatedInstitution("H11010500009", local: true, pointer: "/fixmedins_code")
        }
        #expect(error?.expected == "H11010500003 | H11010500004" && error?.actual == "H11010500009")
        try chosen.requireOwnDesignatedInstitution("H12010100001", local: false, pointer: "/fixmedins_code")
        try Self.person().requireOwnDesignatedInstitution("H11010500009", local: true, pointer: "/fixmedins_code")
    }

    @Test("special-disease fees (med_type 14) settle at the special-disease institution; other visits anywhere the person may go")
    func specialDisease() throws {
        let person = Self.person(specialDisease: ["H11010500003"])
        try person.requireSpecialDiseaseInstitution("H11010500003", medType: "14", local: true, pointer: "/input/data/med_type")
        refusal(.notOwnDesignatedInstitution, .sc5, pointer: "/input/data/med_type") {
            try person.requireSpecialDiseaseInstitution("H11010500009", medType: "14", local: true, pointer: "/input/data/med_type")
        }
        try person.requireSpecialDiseaseInstitution("H11010500009", medType: "11", local: true, pointer: "/input/data/med_type")
        try person.requireSpecialDiseaseInstitution("H12010100001", medType: "14", local: false, pointer: "/input/data/med_type")
    }
}

/// The code tables used on the wire (FSI 1901 字典表查询): each `type` with its values and Chinese labels,
/// as the national interface's dictionary defines them. Types marked *ours* hold codes this gateway
/// defines where no public source gives them (docs/SETTLEMENT.md §13).
public enum CodeTables {
    public struct Value: Sendable, Hashable {
        public var value: String
        public var label: String
        public var parent: String
    }

    /// `type` → its values, in order.
    public static let tables: [String: [Value]] = {
        func table(_ pairs: [(String, String)], parent: String = "") -> [Value] { pairs.map { Value(value: $0.0, label: $0.1, parent: parent) } }
        return [
            "INSUTYPE": table([("310", "职工基本医疗保险"), ("320", "公务员医疗补助"), ("330", "大额医疗费用补助"), ("340", "离休人员医疗保障"),
                               ("390", "城乡居民基本医疗保险"), ("392", "城乡居民大病医疗保险"), ("510", "生育保险")]),
            "MED_TYPE": table([("11", "普通门诊"), ("12", "门诊挂号"), ("13", "急诊"), ("14", "门诊慢特病"), ("19", "日间手术"),
                               ("21", "普通住院"), ("41", "定点药店购药"), ("9901", "其他门诊")]),
            "PSN_TYPE": table([("11", "在职"), ("12", "退休"), ("13", "离休"), ("1501", "城乡居民"), ("1502", "学生儿童")]),
            "CLR_TYPE": table([("11", "门诊"), ("21", "住院"), ("41", "药店购药"), ("99", "其他")]),
            "MDTRT_CERT_TYPE": table([("01", "医保电子凭证"), ("02", "居民身份证"), ("03", "社会保障卡")]),
            "PSN_CERT_TYPE": table([("01", "居民身份证"), ("02", "中国人民解放军军官证"), ("06", "港澳居民来往内地通行证"), ("08", "外国人护照")]),
            "PSN_SETLWAY": table([("01", "按项目结算"), ("02", "按定额结算")]),
            "PSN_INSU_STAS": table([("1", "正常参保"), ("2", "暂停参保"), ("4", "终止参保")]),
            "GEND": table([("1", "男"), ("2", "女"), ("9", "未说明性别")]),
            "LIST_TYPE": table([("101", "西药中成药"), ("102", "中药饮片"), ("103", "自制剂"), ("201", "医疗服务项目"), ("301", "医用耗材")]),
            "CHRGITM_LV": table([("01", "甲类"), ("02", "乙类"), ("03", "丙类")]),
            "MED_CHRGITM_TYPE": table([("01", "床位费"), ("02", "诊察费"), ("03", "检查费"), ("04", "化验费"), ("05", "治疗费"), ("06", "手术费"),
                                       ("07", "护理费"), ("08", "卫生材料费"), ("09", "西药费"), ("10", "中药饮片费"), ("11", "中成药费"),
                                       ("12", "一般诊疗费"), ("13", "挂号费"), ("14", "其他费")]),
            "FUND_PAY_TYPE": table([("310100", "职工基本医疗保险统筹基金"), ("390100", "城乡居民基本医疗保险基金")]),
            "REFD_SETL_FLAG": table([("0", "否"), ("1", "是")]),
            "RX_CIRC_FLAG": table([("0", "否"), ("1", "是")]),
            "ACCT_USED_FLAG": table([("0", "否"), ("1", "是")]),
            "VALI_FLAG": table([("0", "无效"), ("1", "有效")]),
            // Ours: 2001 trt_chk_type rows, 3202 result stmt_rslt, 3101 trig_scen (hsa-his TrigScen).
            "TRT_CHK_TYPE": table([("01", "参保状态"), ("02", "医保在线支付"), ("03", "异地就医直接结算"), ("04", "门诊慢特病备案")]),
            "STMT_RSLT": table([("0", "平"), ("1", "平台有、文件无"), ("2", "文件有、平台无"), ("3", "金额或就诊不一致")]),
            "TRIG_SCEN": table([("1", "事前-门诊挂号"), ("2", "事前-门诊收费登记"), ("3", "事前-住院登记"), ("4", "事前-住院收费登记"),
                                ("5", "事前-住院执行医嘱"), ("6", "事中-门诊结算"), ("7", "事中-门诊预结算"), ("8", "事中-住院结算"),
                                ("9", "事中-住院预结算"), ("10", "事中-购药划卡")]),
        ]
    }()
}

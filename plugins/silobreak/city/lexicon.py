"""Words and codes of the departments' systems, kept as plain data (like :mod:`vocab` for people).

Each tuple pairs a value with a relative weight where frequencies matter.
Code lists that a department validates against (statuses, degrees, vaccine
codes, ICD-10 codes) are the *domains* of their columns: out-of-domain
defects are drawn from the ``BOGUS_*`` lists, which no domain contains.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["all_words"]

# --------------------------------------------------------------------------
# Human Resources & Social Security
# --------------------------------------------------------------------------

#: Degrees accepted by the graduate talent settlement (人才引进) programme.
DEGREES: tuple[tuple[str, float], ...] = (("本科", 0.58), ("硕士", 0.33), ("博士", 0.09))
BOGUS_DEGREES: tuple[str, ...] = ("研究生", "学士学位", "Master", "4")

SETTLEMENT_STATUSES: tuple[str, ...] = ("已受理", "审核中", "已批准", "不予批准", "已撤回")
BOGUS_SETTLEMENT_STATUSES: tuple[str, ...] = ("待定", "未知", "9")

UNIVERSITIES: tuple[tuple[str, float], ...] = (
    ("深圳大学", 9.0), ("南方科技大学", 5.0), ("哈尔滨工业大学（深圳）", 4.0), ("中山大学", 6.0),
    ("华南理工大学", 6.0), ("暨南大学", 4.0), ("华南师范大学", 3.0), ("广东工业大学", 4.0),
    ("北京大学", 2.0), ("清华大学", 2.0), ("武汉大学", 4.0), ("华中科技大学", 5.0),
    ("中南大学", 4.0), ("湖南大学", 3.0), ("厦门大学", 2.5), ("四川大学", 2.5),
    ("电子科技大学", 3.0), ("西安电子科技大学", 3.0), ("浙江大学", 2.0), ("复旦大学", 1.5),
    ("上海交通大学", 1.5), ("南京大学", 1.5), ("东南大学", 1.5), ("哈尔滨工业大学", 1.5),
    ("北京邮电大学", 2.0), ("南昌大学", 2.0), ("广西大学", 2.0), ("郑州大学", 2.0),
    ("汕头大学", 2.0), ("广州大学", 2.5), ("深圳技术大学", 2.0), ("江西财经大学", 1.5),
    ("中南财经政法大学", 1.5), ("香港中文大学（深圳）", 1.5), ("吉林大学", 1.0), ("山东大学", 1.0),
)  # fmt: skip

MAJORS: tuple[tuple[str, float], ...] = (
    ("计算机科学与技术", 10.0), ("软件工程", 8.0), ("电子信息工程", 7.0), ("通信工程", 5.0),
    ("自动化", 3.0), ("机械工程", 3.0), ("微电子科学与工程", 2.0), ("人工智能", 3.0),
    ("数据科学与大数据技术", 2.5), ("金融学", 5.0), ("会计学", 4.0), ("工商管理", 3.0),
    ("法学", 3.0), ("临床医学", 3.0), ("药学", 1.5), ("土木工程", 2.0), ("建筑学", 1.5),
    ("材料科学与工程", 2.0), ("化学", 1.5), ("生物医学工程", 1.5), ("汉语言文学", 1.5),
    ("英语", 1.5), ("新闻传播学", 1.0), ("设计学", 1.5), ("统计学", 1.5), ("经济学", 2.0),
)  # fmt: skip

SOCIAL_INSURANCE_STATUSES: tuple[str, ...] = ("参保缴费", "暂停缴费", "终止缴费", "退休")
BOGUS_SOCIAL_INSURANCE_STATUSES: tuple[str, ...] = ("正常", "0", "未知")

# --------------------------------------------------------------------------
# Market Regulation
# --------------------------------------------------------------------------

#: Characters of trade names (字号): auspicious, technical, geographic.
BRAND_CHARS: str = (
    "华兴盛鸿泰达源隆创新宏信德恒利通瑞博安康益嘉佳丰富祥和永昌鑫金银汇海天宇星辰光明亮腾飞翔"
    "龙凤鹏锦绣卓越领先智慧科联合众诚致远志成美好优品尚雅壹一世纪东南西北中港湾湖山川林森禾田"
    "百千万亿乐福喜吉祺顺旺旭晟辉耀晶灵思维云数融润泽沃弘伟峰岳睿骏豪健宝邦诺特力迈途际速讯芯"
    "微易迅雷拓展扬逸凡悦纳君仁义礼真正方圆策略道本元素质量精准立深粤蓝青红绿紫橙星月阳晨曦"
)

#: Company industries (行业表述) with weight and food-licence kind (0 none, 1 food sales, 2 catering).
INDUSTRIES: tuple[tuple[str, float, int], ...] = (
    ("科技", 16.0, 0), ("电子", 8.0, 0), ("信息技术", 6.0, 0), ("网络科技", 5.0, 0),
    ("贸易", 10.0, 0), ("商贸", 4.0, 1), ("供应链管理", 4.0, 0), ("实业", 4.0, 0),
    ("投资咨询", 2.0, 0), ("管理咨询", 3.0, 0), ("文化传媒", 4.0, 0), ("物流", 4.0, 0),
    ("建筑工程", 3.0, 0), ("装饰工程", 3.0, 0), ("餐饮管理", 4.0, 2), ("食品", 2.0, 1),
    ("生物科技", 2.0, 0), ("医疗器械", 2.0, 0), ("新能源", 2.0, 0), ("智能科技", 3.0, 0),
    ("教育科技", 2.0, 0), ("物业管理", 2.0, 0), ("人力资源", 1.0, 0), ("服装", 2.0, 0),
    ("珠宝", 1.0, 0), ("家具", 1.0, 0), ("光电", 2.0, 0), ("精密机械", 2.0, 0),
    ("电器", 1.0, 0), ("健康管理", 1.0, 0), ("酒店管理", 1.0, 2), ("农产品", 1.0, 1),
)  # fmt: skip

#: Individual businesses (个体工商户): shop kinds with weight and food-licence kind.
SHOPS: tuple[tuple[str, float, int], ...] = (
    ("便利店", 15.0, 1), ("餐饮店", 12.0, 2), ("小吃店", 8.0, 2), ("快餐店", 5.0, 2),
    ("水果店", 5.0, 1), ("士多店", 4.0, 1), ("烟酒商行", 3.0, 1), ("茶餐厅", 3.0, 2),
    ("粮油店", 2.0, 1), ("美发店", 7.0, 0), ("服装店", 6.0, 0), ("五金店", 5.0, 0),
    ("电器维修部", 3.0, 0), ("手机店", 4.0, 0), ("洗衣店", 2.0, 0), ("文具店", 2.0, 0),
    ("建材店", 3.0, 0), ("汽车维修部", 3.0, 0), ("家政服务部", 2.0, 0), ("花店", 2.0, 0),
    ("眼镜店", 1.0, 0), ("母婴用品店", 2.0, 1),
)  # fmt: skip

#: Company types (企业类型) with weight; the legal form decides the name's suffix.
COMPANY_TYPES: tuple[tuple[str, float], ...] = (
    ("有限责任公司（自然人投资或控股）", 45.0),
    ("有限责任公司（自然人独资）", 30.0),
    ("有限责任公司（法人独资）", 10.0),
    ("有限责任公司（台港澳法人独资）", 3.0),
    ("有限责任公司（外国法人独资）", 2.0),
    ("股份有限公司（非上市、自然人投资或控股）", 5.0),
)
INDIVIDUAL_BUSINESS_TYPE = "个体工商户"
ENTERPRISE_TYPES: tuple[str, ...] = (*(t for t, _ in COMPANY_TYPES), INDIVIDUAL_BUSINESS_TYPE)
BOGUS_ENTERPRISE_TYPES: tuple[str, ...] = ("公司", "有限公司", "99")

ENTERPRISE_STATUSES: tuple[tuple[str, float], ...] = (("存续", 0.88), ("注销", 0.09), ("吊销", 0.03))
LICENCE_STATUSES: tuple[str, ...] = ("有效", "已注销", "已吊销")
BOGUS_LICENCE_STATUSES: tuple[str, ...] = ("正常", "1", "N/A")

#: Prefix digit of food business licence numbers (JY1..., JY2..., JY3...) and its main business.
FOOD_MAIN_BUSINESS: tuple[str, ...] = ("食品销售经营者", "餐饮服务经营者", "单位食堂")
BOGUS_FOOD_MAIN_BUSINESS: tuple[str, ...] = ("食品经营", "其他", "4")
FOOD_ITEMS: tuple[tuple[str, ...], ...] = (
    ("预包装食品（含冷藏冷冻食品）销售", "预包装食品（不含冷藏冷冻食品）销售;散装食品（不含冷藏冷冻食品）销售"),
    ("热食类食品制售", "热食类食品制售;冷食类食品制售", "热食类食品制售;自制饮品制售"),
    ("热食类食品制售",),
)

BUSINESS_SCOPES: dict[int, str] = {
    0: "一般经营项目是：技术开发、技术咨询、技术服务；计算机软硬件的销售。",
    1: "一般经营项目是：国内贸易；货物及技术进出口。许可经营项目是：食品销售。",
    2: "一般经营项目是：餐饮管理。许可经营项目是：餐饮服务。",
}

BUILDINGS: tuple[str, ...] = ("大厦", "广场", "中心", "科技园", "创业园", "工业区", "商务中心", "产业园")

# --------------------------------------------------------------------------
# Traffic Police
# --------------------------------------------------------------------------

#: One-character province abbreviations of plates, by the first two digits of the division code.
PLATE_PROVINCES: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
    "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}  # fmt: skip

#: Guangdong plate letters other than Shenzhen's B, with weights (A 广州, S 东莞, E 佛山, L 惠州...).
GUANGDONG_PLATE_LETTERS: tuple[tuple[str, float], ...] = (
    ("A", 3.0),
    ("S", 3.0),
    ("E", 2.0),
    ("L", 2.0),
    ("D", 1.0),
    ("M", 1.0),
    ("U", 1.0),
    ("C", 1.0),
)
PLATE_LETTERS: str = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates

VEHICLE_TYPES: tuple[tuple[str, float], ...] = (
    ("小型轿车", 0.62), ("小型普通客车", 0.18), ("轻型货车", 0.06), ("普通二轮摩托车", 0.04),
    ("小型新能源轿车", 0.10),
)  # fmt: skip

#: Responsibility shares of a two-party accident, party 1 then party 2.
RESPONSIBILITY_PAIRS: tuple[tuple[str, str, float], ...] = (
    ("全部责任", "无责任", 0.55),
    ("主要责任", "次要责任", 0.20),
    ("同等责任", "同等责任", 0.25),
)
RESPONSIBILITIES: tuple[str, ...] = ("全部责任", "主要责任", "同等责任", "次要责任", "无责任")
BOGUS_RESPONSIBILITIES: tuple[str, ...] = ("全责", "待定", "5")
CROSS_STREET_SUFFIXES: tuple[str, ...] = ("路口", "交叉口", "附近")

# --------------------------------------------------------------------------
# Health Commission
# --------------------------------------------------------------------------

#: Vaccines of the national immunisation programme and common adult ones: code, name, doses, for whom.
VACCINES: tuple[tuple[str, str, int, str], ...] = (
    ("HepB", "乙肝疫苗", 3, "child"), ("BCG", "卡介苗", 1, "child"), ("IPV", "脊灰灭活疫苗", 2, "child"),
    ("bOPV", "脊灰减毒活疫苗", 2, "child"), ("DTaP", "百白破疫苗", 4, "child"), ("MMR", "麻腮风疫苗", 2, "child"),
    ("JE-L", "乙脑减毒活疫苗", 2, "child"), ("MPSV-A", "A群流脑多糖疫苗", 2, "child"),
    ("HepA-L", "甲肝减毒活疫苗", 1, "child"), ("VarV", "水痘疫苗", 2, "child"),
    ("Flu", "流感疫苗", 1, "any"), ("COVID-19", "新冠病毒疫苗", 3, "adult"), ("HPV", "HPV疫苗", 3, "woman"),
    ("RabV", "人用狂犬病疫苗", 4, "any"), ("PPV23", "23价肺炎球菌多糖疫苗", 1, "elderly"),
    ("HZ", "带状疱疹疫苗", 2, "elderly"),
)  # fmt: skip
BOGUS_VACCINE_CODES: tuple[str, ...] = ("XX", "未知", "000")

HOSPITALS: tuple[tuple[str, float], ...] = (
    ("深圳市人民医院", 6.0), ("北京大学深圳医院", 5.0), ("香港大学深圳医院", 4.0), ("深圳市第二人民医院", 4.0),
    ("南方医科大学深圳医院", 3.0), ("中山大学附属第七医院", 3.0), ("深圳市中医院", 3.0),
    ("深圳市儿童医院", 3.0), ("深圳市妇幼保健院", 2.0), ("南山区人民医院", 3.0), ("宝安区人民医院", 4.0),
    ("龙岗区人民医院", 3.0), ("龙华区人民医院", 3.0), ("福田区人民医院", 2.0), ("罗湖区人民医院", 2.0),
    ("光明区人民医院", 1.5), ("坪山区人民医院", 1.0), ("盐田区人民医院", 0.5), ("大鹏新区南澳人民医院", 0.3),
)  # fmt: skip
CLINIC_DEPARTMENTS: tuple[str, ...] = (
    "内科", "外科", "儿科", "妇科", "口腔科", "眼科", "皮肤科", "急诊科", "中医科", "耳鼻喉科",
)  # fmt: skip
#: ICD-10 codes with their names, the clinic department that sees them, and a weight for
#: children, adults and the elderly.
DIAGNOSES: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("J06.9", "急性上呼吸道感染", "内科", 8.0, 6.0, 3.0), ("J20.9", "急性支气管炎", "内科", 3.0, 2.0, 2.0),
    ("K29.7", "胃炎", "内科", 0.5, 3.0, 2.0), ("I10", "特发性（原发性）高血压", "内科", 0.0, 1.5, 6.0),
    ("E11.9", "2型糖尿病", "内科", 0.0, 1.0, 4.0), ("M54.5", "下背痛", "外科", 0.0, 2.0, 2.0),
    ("K02.9", "龋病", "口腔科", 2.0, 1.5, 0.5), ("H10.9", "结膜炎", "眼科", 1.0, 1.0, 0.5),
    ("L30.9", "皮炎", "皮肤科", 1.0, 1.5, 1.0), ("R50.9", "发热", "急诊科", 4.0, 1.0, 0.5),
    ("A09", "感染性腹泻", "内科", 2.0, 1.0, 0.5), ("J45.9", "哮喘", "内科", 1.0, 0.5, 0.5),
    ("N39.0", "尿路感染", "内科", 0.3, 1.0, 1.0), ("S93.4", "踝关节扭伤", "外科", 0.5, 1.0, 0.3),
    ("J31.0", "慢性鼻炎", "耳鼻喉科", 0.5, 1.0, 0.5), ("N76.0", "急性阴道炎", "妇科", 0.0, 0.8, 0.2),
    ("M17.9", "膝关节病", "中医科", 0.0, 0.5, 2.0), ("Z00.0", "一般医学检查", "内科", 1.0, 2.0, 2.0),
)  # fmt: skip
BOGUS_DIAGNOSIS_CODES: tuple[str, ...] = ("ZZZ", "感冒", "000.0")

# --------------------------------------------------------------------------
# Civil Affairs
# --------------------------------------------------------------------------

#: Subsidy types with the monthly amount in yuan (Shenzhen's rates, rounded) and who receives them.
SUBSIDY_TYPES: tuple[tuple[str, float, str], ...] = (
    ("高龄津贴", 200.0, "elderly"),
    ("最低生活保障金", 1365.0, "adult"),
    ("特困人员供养金", 2050.0, "adult"),
    ("残疾人两项补贴", 230.0, "adult"),
    ("临时救助金", 800.0, "adult"),
    ("孤儿基本生活费", 2620.0, "child"),
)
BOGUS_SUBSIDY_TYPES: tuple[str, ...] = ("补贴", "其他", "99")
SUBSIDY_STATUSES: tuple[tuple[str, float], ...] = (("发放中", 0.9), ("暂停发放", 0.04), ("已停发", 0.06))
MARRIAGE_STATUSES: tuple[str, ...] = ("有效", "已离婚")
BOGUS_DISTRICT_CODES: tuple[str, ...] = ("440300", "440312", "440399", "4403")


def all_words() -> Iterator[str]:
    """Every Chinese word above (to prepare character tables such as simplified → traditional)."""
    yield BRAND_CHARS
    yield from CLINIC_DEPARTMENTS
    for table in (UNIVERSITIES, MAJORS, HOSPITALS, COMPANY_TYPES, VEHICLE_TYPES):
        yield from (row[0] for row in table)
    for rows in (INDUSTRIES, SHOPS):
        yield from (row[0] for row in rows)
    yield from BUILDINGS

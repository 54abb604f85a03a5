"""The bureau's item catalogue as the demo hands it over: names, legal bases, time limits.

Figures follow the bureau's 2022 report: 76 power items (6 licensing, 61 penalty, 2 coercion,
5 inspection, 2 reward) from the 2021 list of powers and responsibilities, plus public-service
items; 125 items can be handled fully online and 35 across provinces (跨省通办); 14 are the
high-frequency items of the combined window (高频事项).
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.service_network.model import FULLY_ONLINE
from simulators.demo.service_network.catalogue_public import (
    CROSS_PROVINCE,
    HIGH_FREQUENCY,
    IN_PERSON,
    SECTIONS,
)

BUREAU = "黔东南州人力资源和社会保障局"
PLACE = "黔东南州政务服务中心人社综合窗口"
LABOR_CONTRACT = "《中华人民共和国劳动合同法》"
SOCIAL_INSURANCE = "《中华人民共和国社会保险法》"
EMPLOYMENT = "《中华人民共和国就业促进法》"
SUPERVISION = "《劳动保障监察条例》"
HR_MARKET = "《人力资源市场暂行条例》"
WAGES = "《保障农民工工资支付条例》"
WORK_INJURY = "《工伤保险条例》"


PHONES = {
    BUREAU: "0855-8222315",
    "州社会保险事业局": "0855-8263412",
    "州就业局": "0855-8224761",
    "州人才交流服务中心": "0855-8232106",
}
# Two proofs a licence applicant may replace by a signed commitment (证明事项告知承诺制).
COMMITMENT = "场所使用权证明、专职工作人员资格证明可采取告知承诺方式"


@dataclass(frozen=True)
class CatalogueEntry:
    """One row of the catalogue file, with its guide (办事指南)."""

    code: str
    name: str
    item_type: str
    implementer: str
    legal_basis: str
    statutory_days: str
    promised_days: str
    online_depth: str
    cross_province: bool
    service_object: str
    conditions: str
    materials: str
    procedure: str
    place: str = PLACE
    charge: str = "不收费"
    high_frequency: bool = False

    @property
    def phone(self) -> str:
        return PHONES[self.implementer]


LICENSING = (
    ("劳务派遣经营许可", f"{LABOR_CONTRACT}第五十七条", "3"),
    (
        "经营性人力资源服务机构从事职业中介活动许可",
        f"{EMPLOYMENT}第四十条；{HR_MARKET}第十八条",
        "4",
    ),
    ("企业实行不定时工作制和综合计算工时工作制审批", "《中华人民共和国劳动法》第三十九条", "4"),
    (
        "民办职业培训学校设立、分立、合并、变更及终止审批",
        "《中华人民共和国民办教育促进法》第十二条",
        "4",
    ),
    ("技工学校设立、变更、终止审批", "《中华人民共和国职业教育法》第三十三条", "4"),
    ("职业技能鉴定机构设立审批", "《中华人民共和国劳动法》第六十九条", "4"),
)
PENALTY_SUBJECTS = (
    (LABOR_CONTRACT, "第八十条", "用人单位制定的劳动规章制度违反法律法规规定"),
    (LABOR_CONTRACT, "第八十一条", "用人单位未将劳动合同文本交付劳动者"),
    (LABOR_CONTRACT, "第八十三条", "用人单位违法约定试用期"),
    (LABOR_CONTRACT, "第八十四条", "用人单位扣押劳动者居民身份证等证件"),
    (LABOR_CONTRACT, "第八十四条", "用人单位以担保或者其他名义向劳动者收取财物"),
    (LABOR_CONTRACT, "第八十五条", "用人单位未及时足额支付劳动报酬"),
    (LABOR_CONTRACT, "第八十五条", "用人单位低于当地最低工资标准支付劳动者工资"),
    (LABOR_CONTRACT, "第八十五条", "用人单位安排加班不支付加班费"),
    (LABOR_CONTRACT, "第八十五条", "用人单位解除或者终止劳动合同未依法支付经济补偿"),
    (LABOR_CONTRACT, "第八十九条", "用人单位未出具解除或者终止劳动合同的书面证明"),
    (LABOR_CONTRACT, "第九十二条", "劳务派遣单位、用工单位违反劳务派遣规定"),
    (LABOR_CONTRACT, "第九十二条", "未经许可擅自经营劳务派遣业务"),
    ("《劳务派遣暂行规定》", "第二十条", "用工单位使用被派遣劳动者超过用工总量百分之十"),
    (SUPERVISION, "第二十五条", "用人单位违法延长劳动者工作时间"),
    ("《女职工劳动保护特别规定》", "第十三条", "用人单位违反女职工劳动保护规定"),
    (SUPERVISION, "第二十三条", "用人单位违反未成年工特殊保护规定"),
    ("《禁止使用童工规定》", "第六条", "用人单位非法招用未满十六周岁的未成年人"),
    ("《中华人民共和国劳动合同法实施条例》", "第三十三条", "用人单位未按规定建立职工名册"),
    (SUPERVISION, "第三十条", "无理抗拒、阻挠劳动保障行政部门实施劳动保障监察"),
    (SUPERVISION, "第三十条", "不按规定报送书面材料、隐瞒事实真相、出具伪证或者隐匿、毁灭证据"),
    (SUPERVISION, "第三十条", "经责令改正拒不改正或者拒不履行劳动保障行政处理决定"),
    (SUPERVISION, "第三十条", "打击报复举报人、投诉人"),
    ("《外国人在中国就业管理规定》", "第二十八条", "用人单位违反规定招用外国人"),
    (SOCIAL_INSURANCE, "第八十四条", "用人单位不办理社会保险登记"),
    (SOCIAL_INSURANCE, "第八十六条", "用人单位未按时足额缴纳社会保险费"),
    ("《社会保险费申报缴纳管理规定》", "第十五条", "用人单位未按规定申报应缴纳社会保险费数额"),
    (SOCIAL_INSURANCE, "第八十七条", "社会保险服务机构以欺诈、伪造证明材料骗取社会保险基金支出"),
    (SOCIAL_INSURANCE, "第八十八条", "以欺诈、伪造证明材料或者其他手段骗取社会保险待遇"),
    (WORK_INJURY, "第六十二条", "用人单位应当参加工伤保险而未参加"),
    (WORK_INJURY, "第六十条", "用人单位、工伤职工或者其近亲属骗取工伤保险待遇"),
    (WORK_INJURY, "第六十三条", "用人单位拒不协助对事故进行调查核实"),
    (WORK_INJURY, "第六十一条", "从事劳动能力鉴定的组织或者个人提供虚假鉴定意见"),
    ("《失业保险条例》", "第二十八条", "以不正当手段骗取失业保险金"),
    ("《社会保险登记管理暂行办法》", "第二十条", "用人单位未按规定办理社会保险变更或者注销登记"),
    ("《社会保险费征缴暂行条例》", "第二十三条", "缴费单位伪造、变造社会保险登记证"),
    (EMPLOYMENT, "第六十四条", "未经许可擅自从事职业中介活动"),
    (EMPLOYMENT, "第六十五条", "职业中介机构提供虚假就业信息"),
    (EMPLOYMENT, "第六十五条", "职业中介机构为无合法证照的用人单位提供职业中介服务"),
    (EMPLOYMENT, "第六十五条", "职业中介机构伪造、涂改、转让职业中介许可证"),
    (EMPLOYMENT, "第六十六条", "职业中介机构扣押劳动者居民身份证和其他证件"),
    (EMPLOYMENT, "第六十六条", "职业中介机构向劳动者收取押金"),
    (HR_MARKET, "第四十二条", "人力资源服务机构发布的招聘信息不真实、不合法"),
    (HR_MARKET, "第四十三条", "人力资源服务机构以欺诈、暴力、胁迫等不正当手段牟取利益"),
    (HR_MARKET, "第四十四条", "人力资源服务机构未按规定报送经营情况年度报告"),
    (HR_MARKET, "第四十四条", "人力资源服务机构未在服务场所明示有关事项"),
    (HR_MARKET, "第四十四条", "人力资源服务机构未建立服务台账或者保存服务台账不满两年"),
    (HR_MARKET, "第四十四条", "人力资源服务机构设立分支机构、变更名称等未书面报告"),
    ("《就业服务与就业管理规定》", "第六十七条", "用人单位发布含有歧视性内容的招聘信息"),
    ("《就业服务与就业管理规定》", "第六十七条", "用人单位提供虚假招聘信息、发布虚假招聘广告"),
    ("《就业服务与就业管理规定》", "第六十七条", "用人单位招用无合法身份证件的人员"),
    ("《就业服务与就业管理规定》", "第六十八条", "用人单位将乙肝病毒血清学指标作为体检标准"),
    ("《中华人民共和国民办教育促进法》", "第六十二条", "民办职业培训学校发布虚假招生简章或者广告"),
    ("《中华人民共和国民办教育促进法》", "第六十二条", "民办职业培训学校擅自分立、合并"),
    ("《中华人民共和国民办教育促进法》", "第六十二条", "民办职业培训学校管理混乱严重影响教育教学"),
    (WAGES, "第五十四条", "用人单位以实物、有价证券等形式代替货币支付农民工工资"),
    (WAGES, "第五十四条", "用人单位未编制工资支付台账并依法保存或者未提供工资清单"),
    (WAGES, "第五十五条", "施工总承包单位未按规定开设或者使用农民工工资专用账户"),
    (WAGES, "第五十五条", "建设单位未依法提供工程款支付担保"),
    (WAGES, "第五十五条", "施工总承包单位、分包单位未实行劳动用工实名制管理"),
    (WAGES, "第五十六条", "施工总承包单位未对分包单位劳动用工实施监督管理"),
    (WAGES, "第五十七条", "施工总承包单位未在施工现场设立维权信息告示牌"),
)
COERCION = (
    ("对可能被转移、隐匿或者灭失的劳动保障监察相关资料予以封存", f"{SUPERVISION}第十五条"),
    ("对未按时足额缴纳社会保险费的用人单位查询存款账户", f"{SOCIAL_INSURANCE}第六十三条"),
)
INSPECTION = (
    ("对用人单位遵守劳动保障法律法规情况的监督检查", f"{SUPERVISION}第十一条"),
    ("对人力资源服务机构的监督检查", f"{HR_MARKET}第三十五条"),
    ("对社会保险基金收支和管理情况的监督检查", f"{SOCIAL_INSURANCE}第七十九条"),
    ("对民办职业培训学校的监督检查", "《中华人民共和国民办教育促进法》第四十一条"),
    ("对保障农民工工资支付情况的监督检查", f"{WAGES}第四十一条"),
)
REWARD = (
    ("对在就业工作中做出显著成绩的单位和个人给予表彰和奖励", f"{EMPLOYMENT}第十条", "4"),
    ("对举报劳动保障违法行为有功人员的奖励", f"{SUPERVISION}第九条", "2"),
)


def _procedure(depth: str) -> str:
    if depth == FULLY_ONLINE:
        return "网上申请→网上受理→网上审核→电子证照或邮寄送达（全程网办）"
    return "网上或窗口申请→受理→审核→决定→窗口领取或邮寄送达"


def _materials(item_type: str) -> str:
    if item_type == "XK":
        return f"申请书；营业执照或身份证明；{COMMITMENT}"
    return "申请书；相关证明材料" if item_type == "JL" else "无"


def _power(
    code: str, name: str, item_type: str, basis: str, days: tuple[str, str], depth: str = "1"
) -> CatalogueEntry:
    # Penalties, coercion and inspections start on the bureau's own initiative: no application.
    applied = item_type in ("XK", "JL")
    return CatalogueEntry(
        code=code,
        name=name,
        item_type=item_type,
        implementer=BUREAU,
        legal_basis=basis,
        statutory_days=days[0],
        promised_days=days[1],
        online_depth=depth,
        cross_province=False,
        service_object="自然人,法人" if applied else "法人",
        conditions=f"符合{basis}规定的条件" if applied else "依职权启动，无需申请",
        materials=_materials(item_type),
        procedure=_procedure(depth) if applied else "立案→调查取证→审查→告知→决定→送达→执行",
    )


def power_items() -> list[CatalogueEntry]:
    """The 76 items of the list of powers and responsibilities."""
    entries = [
        _power(f"XK{n:05d}000", name, "XK", basis, ("20", "10"), depth)
        for n, (name, basis, depth) in enumerate(LICENSING, start=1)
    ]
    entries += [
        _power(f"CF{n:05d}000", f"对{what}的行政处罚", "CF", law + article, ("60", "60"))
        for n, (law, article, what) in enumerate(PENALTY_SUBJECTS, start=1)
    ]
    entries += [
        _power(f"QZ{n:05d}000", name, "QZ", basis, ("30", "30"))
        for n, (name, basis) in enumerate(COERCION, start=1)
    ]
    entries += [
        _power(f"JC{n:05d}000", name, "JC", basis, ("30", "20"))
        for n, (name, basis) in enumerate(INSPECTION, start=1)
    ]
    entries += [
        _power(f"JL{n:05d}000", name, "JL", basis, ("20", "15"), depth)
        for n, (name, basis, depth) in enumerate(REWARD, start=1)
    ]
    return entries


def public_service_items() -> list[CatalogueEntry]:
    """The public-service items, coded ``GG`` + section + item + ``001``."""
    entries = []
    for s, section in enumerate(SECTIONS, start=1):
        for i, name in enumerate(section.names, start=1):
            depth = "3" if name in IN_PERSON else FULLY_ONLINE
            entries.append(
                CatalogueEntry(
                    code=f"GG{s:03d}{i:02d}001",
                    name=name,
                    item_type="GG",
                    implementer=section.implementer,
                    legal_basis=section.legal_basis,
                    statutory_days=section.statutory_days,
                    promised_days=section.promised_days,
                    online_depth=depth,
                    cross_province=name in CROSS_PROVINCE,
                    service_object=section.service_object,
                    conditions=f"符合{name}办理条件的{section.service_object.replace(',', '或')}",
                    materials="申请表；身份证明或营业执照（可通过电子证照共享免于提交）",
                    procedure=_procedure(depth),
                    high_frequency=name in HIGH_FREQUENCY,
                )
            )
    return entries


def catalogue() -> list[CatalogueEntry]:
    """The whole catalogue, power items first, in code order within each part."""
    return power_items() + public_service_items()

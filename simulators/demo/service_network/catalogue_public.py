"""The bureau's public-service items (公共服务), section by section, for the demo catalogue.

Each section shares its implementer, legal basis, time limits (working days) and who may apply;
item codes are ``GG`` + a three-digit section + a two-digit item + ``001``, so the first item of
section 1 is the enterprise social-insurance registration the portal files cases under.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.service_network.model import REGISTRATION_ITEM_NAME

SOCIAL_INSURANCE_AGENCY = "州社会保险事业局"
EMPLOYMENT_BUREAU = "州就业局"
TALENT_CENTRE = "州人才交流服务中心"
BUREAU = "黔东南州人力资源和社会保障局"
SOCIAL_INSURANCE = "《中华人民共和国社会保险法》"


@dataclass(frozen=True)
class Section:
    implementer: str
    legal_basis: str
    statutory_days: str
    promised_days: str
    service_object: str
    names: tuple[str, ...]


REGISTRATION_ACTIONS = (
    "单位参保登记", "参保信息变更登记", "单位注销登记", "职工参保登记",
    "职工停保登记", "缴费基数申报", "欠费补缴申报", "参保证明查询打印",
)  # fmt: skip
REGISTERED_INSURANCES = ("企业职工基本养老保险", "机关事业单位养老保险", "失业保险", "工伤保险")

SECTIONS = (
    Section(SOCIAL_INSURANCE_AGENCY, f"{SOCIAL_INSURANCE}第五十七条", "15", "0.5", "法人",
            (REGISTRATION_ITEM_NAME,)),
    *(
        Section(SOCIAL_INSURANCE_AGENCY, f"{SOCIAL_INSURANCE}第五十七条、第五十八条", "15", "3",
                "法人", tuple(insurance + action for action in REGISTRATION_ACTIONS))
        for insurance in REGISTERED_INSURANCES
    ),
    Section(SOCIAL_INSURANCE_AGENCY, f"{SOCIAL_INSURANCE}第十条至第十九条", "20", "10", "自然人", (
        "企业职工基本养老保险关系转移接续申请", "基本养老金申领", "个人账户一次性待遇申领",
        "丧葬补助金、抚恤金申领", "病残津贴申领", "养老保险待遇资格认证",
        "养老保险待遇发放账户维护申请", "暂停养老保险待遇申请", "恢复养老保险待遇申请",
        "个人权益记录查询打印", "职工正常退休（职）申请", "机关事业单位养老保险关系转移接续",
        "城镇职工基本养老保险与城乡居民基本养老保险制度衔接申请", "养老保险待遇领取情况查询",
        "养老金发放明细查询",
    )),
    Section(SOCIAL_INSURANCE_AGENCY, f"{SOCIAL_INSURANCE}第二十条至第二十二条", "15", "5",
            "自然人", (
        "城乡居民基本养老保险参保登记", "城乡居民基本养老保险变更登记",
        "城乡居民基本养老保险注销登记", "城乡居民基本养老保险待遇申领",
        "城乡居民基本养老保险关系转移接续申请", "城乡居民基本养老保险待遇资格认证",
        "城乡居民基本养老保险丧葬补助金申领", "城乡居民基本养老保险缴费档次变更",
    )),
    Section(SOCIAL_INSURANCE_AGENCY, f"{SOCIAL_INSURANCE}第四十四条至第五十二条；《失业保险条例》",
            "15", "5", "自然人,法人", (
        "失业保险金申领", "失业保险关系转移接续", "职业培训补贴申领", "技能提升补贴申领",
        "失业保险稳岗返还申领", "失业农民工一次性生活补助申领", "失业人员丧葬补助金和抚恤金申领",
        "失业人员代缴基本医疗保险费",
    )),
    Section(SOCIAL_INSURANCE_AGENCY, "《工伤保险条例》", "60", "20", "自然人,法人", (
        "工伤认定申请", "劳动能力鉴定申请", "工伤医疗费用结算", "一次性伤残补助金申领",
        "工伤职工辅助器具配置", "工伤职工异地就医备案", "工伤康复申请",
        "供养亲属抚恤金申领", "一次性工亡补助金申领", "停工留薪期确认",
    )),
    Section(SOCIAL_INSURANCE_AGENCY, "《社会保障卡管理办法》", "10", "1", "自然人", (
        "社会保障卡申领", "社会保障卡启用", "社会保障卡应用状态查询", "社会保障卡信息变更",
        "社会保障卡密码修改与重置", "社会保障卡挂失与解挂", "社会保障卡补领、换领、换发",
        "社会保障卡注销", "电子社会保障卡申领",
    )),
    Section(EMPLOYMENT_BUREAU, "《中华人民共和国就业促进法》；《就业服务与就业管理规定》",
            "10", "3", "自然人,法人", (
        "就业登记", "失业登记", "就业创业证申领", "就业困难人员认定", "创业担保贷款申请",
        "一次性创业补贴申领", "求职创业补贴申领", "灵活就业人员社会保险补贴申领",
        "公益性岗位补贴申领", "就业见习补贴申领", "职业介绍", "职业指导", "招聘会服务",
        "高校毕业生就业报到", "职业技能等级认定报名", "技能人才补贴申领", "用人单位招聘信息发布",
        "人力资源市场供求信息查询", "职业培训机构信息查询", "就业政策咨询",
    )),
    Section(TALENT_CENTRE, "《流动人员人事档案管理服务规定》", "10", "3", "自然人", (
        "流动人员人事档案接收", "流动人员人事档案转递", "流动人员人事档案查（借）阅",
        "依据流动人员人事档案记载出具相关证明", "职业资格证书查询", "专业技术人员职称申报",
        "职称证书补办", "事业单位公开招聘报名", "事业单位工作人员聘用合同备案",
        "高层次人才服务绿卡申领", "专业技术人员继续教育学时登记", "技能人员职业资格证书补发",
    )),
    Section(BUREAU, "《中华人民共和国劳动合同法》；《中华人民共和国劳动争议调解仲裁法》",
            "20", "10", "自然人,法人", (
        "劳动人事争议仲裁申请", "劳动保障监察投诉举报", "劳动合同备案", "集体合同审查",
        "劳动用工备案", "企业经济性裁员报告", "企业工资集体协商备案", "企业薪酬调查信息填报",
        "劳务派遣单位经营情况报告", "人力资源服务机构年度报告", "单位参保证明查询打印",
        "个人参保证明查询打印", "社会保险缴费历史查询", "养老金测算", "社会保险政策咨询",
    )),
)  # fmt: skip

# Not fully online: each needs the applicant in person at some step.
IN_PERSON = frozenset({
    "劳动能力鉴定申请", "工伤职工辅助器具配置", "工伤康复申请", "流动人员人事档案查（借）阅",
    "职业技能等级认定报名", "劳动人事争议仲裁申请", "集体合同审查", "企业经济性裁员报告",
    "职工正常退休（职）申请", "停工留薪期确认", "创业担保贷款申请",
})  # fmt: skip
# On the national and inter-provincial 跨省通办 lists the bureau has implemented.
CROSS_PROVINCE = frozenset({
    "社会保障卡申领", "社会保障卡启用", "社会保障卡应用状态查询", "社会保障卡挂失与解挂",
    "社会保障卡补领、换领、换发", "社会保障卡信息变更", "电子社会保障卡申领",
    "企业职工基本养老保险关系转移接续申请", "机关事业单位养老保险关系转移接续",
    "城镇职工基本养老保险与城乡居民基本养老保险制度衔接申请", "养老保险待遇资格认证",
    "基本养老金申领", "个人权益记录查询打印", "暂停养老保险待遇申请", "恢复养老保险待遇申请",
    "城乡居民基本养老保险关系转移接续申请", "城乡居民基本养老保险待遇资格认证",
    "失业保险金申领", "失业保险关系转移接续", "职业培训补贴申领", "技能提升补贴申领",
    "工伤职工异地就医备案", "就业登记", "失业登记", "就业创业证申领", "求职创业补贴申领",
    "职业资格证书查询", "流动人员人事档案接收", "流动人员人事档案转递",
    "依据流动人员人事档案记载出具相关证明", "高校毕业生就业报到", "专业技术人员职称申报",
    "个人参保证明查询打印", "单位参保证明查询打印", "社会保险缴费历史查询",
})  # fmt: skip
# The 14 high-frequency items (高频事项) the bureau listed for the combined window of the
# government service centre (一窗通办"2+2"), on which the window's staff were trained first.
HIGH_FREQUENCY = frozenset({
    REGISTRATION_ITEM_NAME, "企业职工基本养老保险职工参保登记", "企业职工基本养老保险职工停保登记",
    "基本养老金申领", "个人权益记录查询打印", "城乡居民基本养老保险参保登记", "失业保险金申领",
    "就业登记", "失业登记", "就业创业证申领", "社会保障卡申领", "社会保障卡补领、换领、换发",
    "流动人员人事档案接收", "个人参保证明查询打印",
})  # fmt: skip

"""Code tables and weights the simulated labor-force population is drawn from.

Codes are the national standards the MOHRSS indicator set uses: GB/T 2260 regions (the 16
county-level divisions of 黔东南苗族侗族自治州), GB/T 2261.1 gender, GB 3304 ethnicity,
GB/T 4658 education; employment and verification status are the platform's own enumerations.
Weights are rough shares (per mille unless noted), chosen to look like the prefecture: mostly
Miao and Dong, mostly middle-school education, many migrant workers in the coastal provinces.
"""

from __future__ import annotations

PROVINCE_PREFECTURE = "贵州省黔东南苗族侗族自治州"

# (code, name, weight): weights roughly follow the counties' resident populations.
REGIONS: tuple[tuple[str, str, int], ...] = (
    ("522601", "凯里市", 200),
    ("522622", "黄平县", 70),
    ("522623", "施秉县", 35),
    ("522624", "三穗县", 45),
    ("522625", "镇远县", 55),
    ("522626", "岑巩县", 45),
    ("522627", "天柱县", 70),
    ("522628", "锦屏县", 40),
    ("522629", "剑河县", 48),
    ("522630", "台江县", 30),
    ("522631", "黎平县", 105),
    ("522632", "榕江县", 80),
    ("522633", "从江县", 80),
    ("522634", "雷山县", 32),
    ("522635", "麻江县", 35),
    ("522636", "丹寨县", 30),
)

# GB 3304-1991 (01 汉, 03 回, 06 苗, 08 壮, 09 布依, 12 侗, 13 瑶, 15 土家, 25 水).
ETHNICITIES: tuple[tuple[str, int], ...] = (
    ("06", 430),
    ("12", 300),
    ("01", 215),
    ("25", 20),
    ("09", 10),
    ("13", 8),
    ("08", 7),
    ("15", 6),
    ("03", 4),
)

# GB/T 4658-2006: 11 博士研究生, 14 硕士研究生, 21 大学本科, 31 大学专科, 41 中等专科,
# 44 职业高中, 47 技工学校, 61 普通高中, 71 初中, 81 小学, 90 其他.
EDUCATION: tuple[tuple[str, int], ...] = (
    ("71", 380),
    ("81", 150),
    ("61", 150),
    ("31", 110),
    ("21", 85),
    ("41", 50),
    ("44", 25),
    ("47", 20),
    ("14", 8),
    ("11", 2),
    ("90", 20),
)
# Too young for the degree drawn: (youngest age, codes, what such a person holds instead).
EDUCATION_AGE_LIMITS: tuple[tuple[int, frozenset[str], str], ...] = (
    (19, frozenset({"11", "14", "21", "31"}), "61"),
    (25, frozenset({"11", "14"}), "21"),
)

# The platform's enumeration: 1 已就业, 2 未就业, 3 自主创业, 4 灵活就业, 5 务农, 9 其他.
EMPLOYMENT: tuple[tuple[str, int], ...] = (
    ("1", 600),
    ("4", 150),
    ("5", 100),
    ("2", 80),
    ("3", 50),
    ("9", 20),
)
# Statuses whose work place is the home county.
EMPLOYMENT_AT_HOME = frozenset({"2", "5"})

# Verification status (HCZT: 0 未核查, 1 已核查, 2 核查异常), per 10,000: 95.22 % verified
# as in the bureau's 2022 report, 3.5 % not yet checked, the rest found wrong.
HCZT: tuple[tuple[str, int], ...] = (
    ("1", 9522),
    ("0", 350),
    ("2", 128),
)

# Where people work; an empty place means "in the home county".
WORK_PLACES: tuple[tuple[str, int], ...] = (
    ("", 300),
    ("贵州省黔东南苗族侗族自治州凯里市", 90),
    ("贵州省贵阳市观山湖区", 40),
    ("贵州省贵阳市白云区", 25),
    ("贵州省贵阳市花溪区", 20),
    ("贵州省遵义市汇川区", 15),
    ("广东省东莞市长安镇", 45),
    ("广东省东莞市虎门镇", 30),
    ("广东省深圳市宝安区", 40),
    ("广东省深圳市龙岗区", 30),
    ("广东省广州市白云区", 30),
    ("广东省佛山市顺德区", 25),
    ("广东省中山市小榄镇", 20),
    ("广东省惠州市惠阳区", 15),
    ("浙江省宁波市北仑区", 30),
    ("浙江省温州市瓯海区", 20),
    ("浙江省杭州市萧山区", 20),
    ("浙江省金华市义乌市", 25),
    ("浙江省台州市温岭市", 15),
    ("福建省厦门市集美区", 20),
    ("福建省泉州市晋江市", 20),
    ("江苏省苏州市昆山市", 25),
    ("江苏省苏州市吴江区", 15),
    ("上海市松江区", 15),
    ("上海市嘉定区", 10),
    ("湖南省怀化市鹤城区", 10),
    ("广西壮族自治区柳州市柳北区", 10),
)

# Common family names, weighted towards those frequent among the prefecture's Miao and Dong.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("杨", 120),
    ("吴", 90),
    ("龙", 60),
    ("王", 55),
    ("张", 50),
    ("潘", 45),
    ("李", 45),
    ("刘", 35),
    ("陈", 30),
    ("石", 30),
    ("罗", 25),
    ("欧", 15),
    ("姚", 15),
    ("周", 15),
    ("黄", 15),
    ("唐", 12),
    ("蒋", 12),
    ("田", 12),
    ("胡", 10),
    ("韦", 10),
    ("邰", 8),
    ("顾", 8),
    ("万", 8),
    ("徐", 8),
    ("何", 8),
    ("宋", 6),
    ("谢", 6),
    ("熊", 6),
    ("彭", 6),
    ("向", 6),
    ("袁", 6),
    ("文", 6),
    ("龚", 5),
    ("邓", 5),
    ("梁", 5),
    ("赵", 5),
    ("孙", 4),
    ("朱", 4),
    ("马", 4),
    ("余", 4),
    ("姜", 4),
    ("舒", 4),
    ("麻", 4),
    ("滚", 3),
    ("粟", 3),
    ("秦", 3),
    ("付", 3),
    ("邹", 3),
)

GIVEN_MALE = (
    "伟强军勇磊涛斌杰鹏辉明华平刚林峰波超宇浩俊凯文国建志成德海东春金福云贵祥光"
    "荣忠兴龙江新永正飞昌发昊睿轩晨洋博鑫毅帅亮坤"
)
GIVEN_FEMALE = (
    "芳娟敏静丽燕艳霞玲红梅琴英萍秀兰婷雪慧莉娜倩丹洁颖琳佳欣怡雨月蓉珍凤翠桂"
    "花露菊妮晓青美春仙妹银香媛璐瑶诗梦琪"
)
# Per mille of given names with two characters (the rest have one).
TWO_CHAR_GIVEN = 780

# Mobile number prefixes of the three carriers (China Mobile, Unicom, Telecom, Broadcast).
PHONE_PREFIXES = (
    *("134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158"),
    *("159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198", "130"),
    *("131", "132", "155", "156", "166", "175", "176", "185", "186", "196", "133", "153"),
    *("173", "177", "180", "181", "189", "190", "191", "193", "199", "192"),
)

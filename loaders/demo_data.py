"""Static tables of the demo county (罗城仫佬族自治县): names, departments, categories.

Everything here is plain data; ``loaders.demo`` turns it into records. Township, county and
province codes are official (see DOMAIN.md section 8); village names are partly real, partly
invented, and their codes are synthetic.

>>> sum(len(names) for names in VILLAGES.values())
142
>>> len(TOWNSHIPS), len(LUOPING_TOWNSHIPS)
(11, 13)
"""

from __future__ import annotations

from typing import NamedTuple

from registry.codes import Level
from registry.model import AllianceFunction, OrgKind, StationMode
from registry.roles import NO_FALLBACK_ROLES, ROLES

__all__ = [
    "ALLIANCE_CODE",
    "ALLIANCE_NAME",
    "CATEGORIES",
    "CLASSES",
    "COUNTERPARTS",
    "DEMO_COUNTY",
    "DEPARTMENTS",
    "ESCALATION_LIMITS",
    "FEMALE_CHARS",
    "GIVEN_CHARS",
    "GROUP_NUMERALS",
    "HAMLET_PREFIXES",
    "HAMLET_ROOTS",
    "HANDLERS",
    "KIND_HANDLERS",
    "LUOPING_TOWNSHIPS",
    "NO_FALLBACK_ROLES",
    "PHONE_PREFIXES",
    "ROLES",
    "SURNAMES",
    "TOWNSHIPS",
    "TOWNSHIP_ROLES",
    "TOWNSHIP_UNITS",
    "UNIT_SEATS",
    "UPPER_CHAIN",
    "VILLAGES",
    "VILLAGE_ROLES",
    "CategorySpec",
    "ChainSpec",
    "ClassSpec",
    "CounterpartSpec",
    "DeptSpec",
    "HandlerSpec",
]

DEMO_COUNTY = "451225000000"


class ChainSpec(NamedTuple):
    """A place above the townships: code, name, level, parent, kind."""

    code: str
    name: str
    level: Level
    parent: str | None
    kind: str


#: Provinces, prefectures and counties of the demo (the demo county and its alliance partners).
UPPER_CHAIN: tuple[ChainSpec, ...] = (
    ChainSpec("450000000000", "广西壮族自治区", Level.PROVINCE, None, "自治区"),
    ChainSpec("530000000000", "云南省", Level.PROVINCE, None, "省"),
    ChainSpec("520000000000", "贵州省", Level.PROVINCE, None, "省"),
    ChainSpec("451200000000", "河池市", Level.PREFECTURE, "450000000000", "地级市"),
    ChainSpec("451000000000", "百色市", Level.PREFECTURE, "450000000000", "地级市"),
    ChainSpec("530300000000", "曲靖市", Level.PREFECTURE, "530000000000", "地级市"),
    ChainSpec("522300000000", "黔西南布依族苗族自治州", Level.PREFECTURE, "520000000000", "自治州"),
    ChainSpec(DEMO_COUNTY, "罗城仫佬族自治县", Level.COUNTY, "451200000000", "自治县"),
    ChainSpec("451030000000", "西林县", Level.COUNTY, "451000000000", "县"),
    ChainSpec("530324000000", "罗平县", Level.COUNTY, "530300000000", "县"),
    ChainSpec("522301000000", "兴义市", Level.COUNTY, "522300000000", "县级市"),
)

#: The 11 townships of Luocheng (official codes and names).
TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("451225100000", "东门镇"),
    ("451225101000", "龙岸镇"),
    ("451225102000", "黄金镇"),
    ("451225103000", "小长安镇"),
    ("451225105000", "四把镇"),
    ("451225106000", "天河镇"),
    ("451225107000", "怀群镇"),
    ("451225200000", "宝坛乡"),
    ("451225202000", "乔善乡"),
    ("451225203000", "纳翁乡"),
    ("451225204000", "兼爱乡"),
)

#: The 13 townships of Luoping (official codes and names).
LUOPING_TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("530324001000", "罗雄街道"),
    ("530324002000", "腊山街道"),
    ("530324003000", "九龙街道"),
    ("530324101000", "板桥镇"),
    ("530324102000", "马街镇"),
    ("530324103000", "富乐镇"),
    ("530324105000", "阿岗镇"),
    ("530324201000", "大水井乡"),
    ("530324202000", "鲁布革布依族苗族乡"),
    ("530324203000", "旧屋基彝族乡"),
    ("530324204000", "钟山乡"),
    ("530324205000", "长底布依族乡"),
    ("530324208000", "老厂乡"),
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Villages and communities per township; communities (社区) first, they get codes 001-0xx,
#: administrative villages get 201, 202, ... (synthetic codes).
VILLAGES: dict[str, tuple[str, ...]] = {
    "451225100000": _names(
        "东门社区 凤凰社区 城西社区 城北社区 城南社区 横岸村 中石村 凤梧村 章罗村 榕木村 "
        "大勒洞村 小勒洞村 永安村 仁洞村 德安村 加禾村 寺门村 北门村 燕塘村 平西村"
    ),
    "451225101000": _names(
        "龙岸社区 龙岸村 高明村 北山村 金龙村 地灵村 龙凤村 横山村 莫村 民权村 "
        "良民村 龙平村 富裕村 多吉村 合作村 三合村 青山村"
    ),
    "451225102000": _names(
        "黄金社区 黄金村 寨洞村 宣化村 义和村 金鸡村 五育村 平安村 上寨村 八洞村 "
        "板茂村 蓬莱村 田洞村 古城村 新平村"
    ),
    "451225103000": _names(
        "小长安社区 小长安村 崖宜村 石门村 龙腾村 罗东村 凤立村 大坪村 双合村 平洛村 "
        "水仁村 新安村 乔洞村 牛毕村 布金村 山心村"
    ),
    "451225105000": _names(
        "四把社区 四把村 棉花村 大福村 石围村 天堂村 勒俄村 马山村 铜桥村 双寨村 "
        "里乐村 上平村 新华村 德音村"
    ),
    "451225106000": _names(
        "天河社区 天河村 福音村 合洞村 太平村 永庆村 乔老村 五中村 四良村 东平村 "
        "下里村 福盈村 丰洞村 长岭村 尧洞村"
    ),
    "451225107000": _names(
        "怀群村 剑江村 兰靛村 和平村 团结村 启仁村 朝阳村 下福村 东岸村 瑶山村 九如村"
    ),
    "451225200000": _names("宝坛村 洞好村 四堡村 地峒村 平英村 九华村 乌英村 芳岭村 盘龙村"),
    "451225202000": _names("乔善村 古金村 大梧村 板南村 登龙村 新回村 冲洞村 坳田村"),
    "451225203000": _names("纳翁村 六步村 高桥村 东安村 岩洞村 古耀村 木朝村 立新村"),
    "451225204000": _names("兼爱村 凤腾村 宝元村 谢洞村 金坪村 里明村 牛塘村 太合村 同乐村"),
}

#: Hamlet (屯) names are a prefix and a root, e.g. 大 + 塘 -> 大塘屯.
HAMLET_PREFIXES = "大小上下新老东西南北中高里外岩石竹木龙凤板弄拉那平水黄白青长"
HAMLET_ROOTS = "塘寨岭坪洞口脚江坡湾桥垌田山门坳头河岸冲良勒"
#: Residents' groups of a community: 第一居民小组 ...
GROUP_NUMERALS = "一二三四五六七八九十"

SURNAMES = "韦覃吴罗银潘蒙梁谢黄莫廖卢谭陆蓝李张王陈刘杨周何曾欧龙石邓胡苏韩唐冯"
GIVEN_CHARS = "明强军勇伟海平东林斌国建忠文志光荣金德成永福新宇杰鹏健华春秋运智"
FEMALE_CHARS = "秀梅兰芳丽红玉凤英桂莲燕霞静婷娟艳萍琳敏雪月"
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "195",
    "198",
    "199",
)

#: Seats every township has at the township itself; a vacant village seat of these roles falls
#: back to the township's holder (乡镇综治专干, 法律顾问, 法官助理, 妇联主席, 团委书记).
TOWNSHIP_ROLES: tuple[str, ...] = (
    "governance_officer",
    "legal_adviser",
    "judge_assistant",
    "women_chair",
    "youth_secretary",
)

#: Luocheng's "一村七岗" in the order of its slogan.
VILLAGE_ROLES: tuple[str, ...] = (
    "police_assistant",
    "judge_assistant",
    "legal_adviser",
    "law_literate",
    "women_chair",
    "youth_secretary",
    "governance_officer",
)


class DeptSpec(NamedTuple):
    """A county department; its code is ``451225-dept-<function>``."""

    function: str
    name: str
    kind: OrgKind
    mode: StationMode  # how it is stationed at the county centre
    parent: str | None = None  # function of the parent department
    phone: str | None = None


DEPARTMENTS: tuple[DeptSpec, ...] = (
    DeptSpec(
        "public_security",
        "罗城仫佬族自治县公安局",
        OrgKind.DEPARTMENT,
        StationMode.PERMANENT,
        phone="0778-8212110",
    ),
    DeptSpec("court", "罗城仫佬族自治县人民法院", OrgKind.COURT, StationMode.ROTATING),
    DeptSpec(
        "procuratorate", "罗城仫佬族自治县人民检察院", OrgKind.PROCURATORATE, StationMode.ON_CALL
    ),
    DeptSpec(
        "justice",
        "罗城仫佬族自治县司法局",
        OrgKind.DEPARTMENT,
        StationMode.PERMANENT,
        phone="12348",
    ),
    DeptSpec("petitions", "罗城仫佬族自治县信访局", OrgKind.DEPARTMENT, StationMode.PERMANENT),
    DeptSpec(
        "human_resources",
        "罗城仫佬族自治县人力资源和社会保障局",
        OrgKind.DEPARTMENT,
        StationMode.ROTATING,
    ),
    DeptSpec("civil_affairs", "罗城仫佬族自治县民政局", OrgKind.DEPARTMENT, StationMode.ON_CALL),
    DeptSpec(
        "housing", "罗城仫佬族自治县住房和城乡建设局", OrgKind.DEPARTMENT, StationMode.KEY_PERIOD
    ),
    DeptSpec("environment", "河池市生态环境局罗城分局", OrgKind.DEPARTMENT, StationMode.ON_CALL),
    DeptSpec(
        "urban_management",
        "罗城仫佬族自治县城市管理综合执法局",
        OrgKind.DEPARTMENT,
        StationMode.ROTATING,
    ),
    DeptSpec(
        "traffic_police",
        "罗城仫佬族自治县公安局交通管理大队",
        OrgKind.DEPARTMENT,
        StationMode.KEY_PERIOD,
        parent="public_security",
    ),
    DeptSpec(
        "trade_union", "罗城仫佬族自治县总工会", OrgKind.MASS_ORGANIZATION, StationMode.TEMPORARY
    ),
    DeptSpec(
        "women_federation",
        "罗城仫佬族自治县妇女联合会",
        OrgKind.MASS_ORGANIZATION,
        StationMode.TEMPORARY,
    ),
    DeptSpec(
        "youth_league",
        "共青团罗城仫佬族自治县委员会",
        OrgKind.MASS_ORGANIZATION,
        StationMode.ONLINE,
    ),
    # Leads the centres and supervises overdue matters (挂牌督办): the escalation's last step.
    DeptSpec(
        "supervision",
        "中共罗城仫佬族自治县委政法委员会",
        OrgKind.DEPARTMENT,
        StationMode.KEY_PERIOD,
    ),
    DeptSpec(
        "hotline",
        "罗城仫佬族自治县12345政务服务便民热线中心",
        OrgKind.HOTLINE,
        StationMode.ONLINE,
        phone="12345",
    ),
)

#: Township units of county departments: (code suffix, kind, name pattern (filled with the
#: township's short name), parent department function, how it is stationed at the township
#: centres of its jurisdiction). Unit codes are ``<township[:9]>-<suffix>``.
TOWNSHIP_UNITS: tuple[tuple[str, OrgKind, str, str, StationMode], ...] = (
    (
        "justice",
        OrgKind.JUSTICE_OFFICE,
        "罗城仫佬族自治县司法局{}司法所",
        "justice",
        StationMode.PERMANENT,
    ),
    (
        "police",
        OrgKind.POLICE_STATION,
        "罗城仫佬族自治县公安局{}派出所",
        "public_security",
        StationMode.PERMANENT,
    ),
    (
        "tribunal",
        OrgKind.COURT,
        "罗城仫佬族自治县人民法院{}人民法庭",
        "court",
        StationMode.ROTATING,
    ),
)

#: Where units sit and what they cover: {suffix: {seat township: jurisdiction}}. A suffix not
#: listed has one unit per township covering that township (the justice offices).
UNIT_SEATS: dict[str, dict[str, tuple[str, ...]]] = {
    # 纳翁乡 has no police station of its own; the 乔善 station covers it.
    "police": {
        "451225100000": ("451225100000",),
        "451225101000": ("451225101000",),
        "451225102000": ("451225102000",),
        "451225103000": ("451225103000",),
        "451225105000": ("451225105000",),
        "451225106000": ("451225106000",),
        "451225107000": ("451225107000",),
        "451225200000": ("451225200000",),
        "451225202000": ("451225202000", "451225203000"),
        "451225204000": ("451225204000",),
    },
    # People's tribunals (人民法庭) of the county court, each covering several townships.
    "tribunal": {
        "451225100000": ("451225100000", "451225106000", "451225105000"),
        "451225101000": ("451225101000", "451225200000", "451225202000", "451225203000"),
        "451225102000": ("451225102000", "451225103000", "451225107000", "451225204000"),
    },
}


class ClassSpec(NamedTuple):
    """One of the four request classes; its subcategories inherit roles and functions."""

    roles: tuple[str, ...]  # village roles involved
    functions: tuple[AllianceFunction, ...]  # alliance joint functions that apply
    emergency: bool


class CategorySpec(NamedTuple):
    """A category: code (``C2.1`` belongs to class ``C2``), name, time limit, extras."""

    code: str
    name: str
    minutes: int
    roles: tuple[str, ...] = ()  # added to the class's roles
    functions: tuple[AllianceFunction, ...] = ()  # added to the class's functions


_AF = AllianceFunction
_DAY = 24 * 60
_LAW = ("legal_adviser", "judge_assistant")

CLASSES: dict[str, ClassSpec] = {
    "C1": ClassSpec(("governance_officer",), (_AF.GRID_LINKAGE,), False),
    "C2": ClassSpec(
        ("governance_officer", "law_literate", "police_assistant"),
        (_AF.JOINT_MEDIATION,),
        False,
    ),
    "C3": ClassSpec(
        ("police_assistant", "governance_officer"),
        (_AF.JOINT_PATROL, _AF.JOINT_CRIME_FIGHTING),
        False,
    ),
    "C4": ClassSpec(
        ("governance_officer", "police_assistant"),
        (_AF.JOINT_SAFETY, _AF.GRID_LINKAGE),
        True,
    ),
}

#: Classes (time limit of the class as a whole) and subcategories.
CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("C1", "民生服务", 7 * _DAY),
    CategorySpec("C1.1", "交通设施缺失", 3 * _DAY),  # a missing traffic light: three days
    CategorySpec("C1.2", "市政设施损坏", 20),  # a misplaced manhole cover: 20 minutes
    CategorySpec("C1.3", "社会保障咨询", 2 * _DAY),
    CategorySpec("C1.4", "困难群众救助", 5 * _DAY, ("women_chair",)),
    CategorySpec("C2", "矛盾纠纷", 15 * _DAY),
    CategorySpec("C2.1", "劳资纠纷（欠薪）", 7 * _DAY, _LAW),
    CategorySpec("C2.2", "邻里纠纷", 3 * _DAY),
    CategorySpec("C2.3", "婚姻家庭纠纷", 7 * _DAY, ("women_chair",)),
    CategorySpec("C2.4", "土地山林权属纠纷", 30 * _DAY, _LAW, (_AF.PARTY_BUILDING,)),
    CategorySpec("C2.5", "省际边界纠纷", 15 * _DAY, ("legal_adviser",), (_AF.GRID_LINKAGE,)),
    CategorySpec("C3", "违法违规", _DAY),
    CategorySpec("C3.1", "噪声扰民", 60),  # loudspeaker noise: one hour
    CategorySpec("C3.2", "占道经营", 120),
    CategorySpec("C3.3", "违法建设", 5 * _DAY),
    CategorySpec("C3.4", "治安违法", 60),
    CategorySpec("C3.5", "环境污染", _DAY),
    CategorySpec("C4", "应急处置", 30),
    CategorySpec("C4.1", "自然灾害", 30),
    CategorySpec("C4.2", "治安突发事件", 10, (), (_AF.JOINT_PATROL,)),
    CategorySpec("C4.3", "交通事故", 15),
)


class HandlerSpec(NamedTuple):
    """A handling rule naming a county department by function; with a level, the department's
    unit at that level serving the place (a police station, a people's tribunal)."""

    category: str
    function: str
    minutes: int
    lead: bool
    level: Level | None = None


_TOWN = Level.TOWNSHIP

#: Who handles what. A class-level rule is the fallback for matters without a subcategory.
#: Public order and emergencies go to public security at township level: routing picks the
#: police station whose jurisdiction holds the place (the nearest force acts first); unpaid
#: wages involve the people's tribunal serving the township.
HANDLERS: tuple[HandlerSpec, ...] = (
    HandlerSpec("C1", "hotline", 7 * _DAY, True),
    HandlerSpec("C1.1", "traffic_police", 3 * _DAY, True),
    HandlerSpec("C1.2", "urban_management", 20, True),
    HandlerSpec("C1.2", "housing", 2 * _DAY, False),
    HandlerSpec("C1.3", "human_resources", 2 * _DAY, True),
    HandlerSpec("C1.4", "civil_affairs", 5 * _DAY, True),
    HandlerSpec("C2", "justice", 15 * _DAY, True),
    HandlerSpec("C2.1", "human_resources", 7 * _DAY, True),  # unpaid wages: court + HR + ...
    HandlerSpec("C2.1", "court", 7 * _DAY, False, _TOWN),
    HandlerSpec("C2.1", "justice", 7 * _DAY, False),
    HandlerSpec("C2.1", "trade_union", 7 * _DAY, False),
    HandlerSpec("C2.2", "justice", 3 * _DAY, True),
    HandlerSpec("C2.2", "public_security", 3 * _DAY, False, _TOWN),
    HandlerSpec("C2.3", "women_federation", 7 * _DAY, True),
    HandlerSpec("C2.3", "justice", 7 * _DAY, False),
    HandlerSpec("C2.3", "court", 15 * _DAY, False),
    HandlerSpec("C2.4", "justice", 30 * _DAY, True),
    HandlerSpec("C2.4", "court", 30 * _DAY, False),
    HandlerSpec("C2.4", "petitions", 30 * _DAY, False),
    HandlerSpec("C2.5", "justice", 15 * _DAY, True),
    HandlerSpec("C2.5", "petitions", 15 * _DAY, False),
    HandlerSpec("C3", "public_security", _DAY, True, _TOWN),
    HandlerSpec("C3.1", "environment", 60, True),
    HandlerSpec("C3.2", "urban_management", 120, True),
    HandlerSpec("C3.3", "urban_management", 5 * _DAY, True),
    HandlerSpec("C3.3", "housing", 5 * _DAY, False),
    HandlerSpec("C3.4", "public_security", 60, True, _TOWN),
    HandlerSpec("C3.5", "environment", _DAY, True),
    HandlerSpec("C4", "public_security", 30, True, _TOWN),
    HandlerSpec("C4.1", "civil_affairs", 30, True),
    HandlerSpec("C4.1", "public_security", 30, False, _TOWN),
    HandlerSpec("C4.2", "public_security", 10, True, _TOWN),
    HandlerSpec("C4.3", "traffic_police", 15, True),
)

#: Rules naming an organization kind at a level: (category, kind, level, minutes). Disputes
#: between neighbours and in families also go to the township's people's mediation committee
#: (镇级联调).
KIND_HANDLERS: tuple[tuple[str, OrgKind, Level, int], ...] = (
    ("C2.2", OrgKind.MEDIATION_COMMITTEE, _TOWN, 3 * _DAY),
    ("C2.3", OrgKind.MEDIATION_COMMITTEE, _TOWN, 7 * _DAY),
)

#: Escalation time limits per class at the village, township and county centre, in minutes:
#: village first mediation, then township joint mediation, then the county (村级初调+镇级联调).
ESCALATION_LIMITS: dict[str, tuple[int, int, int]] = {
    "C1": (_DAY, 3 * _DAY, 7 * _DAY),
    "C2": (7 * _DAY, 15 * _DAY, 30 * _DAY),
    "C3": (_DAY, 2 * _DAY, 5 * _DAY),
    "C4": (30, 60, 120),
}


class CounterpartSpec(NamedTuple):
    """An allied county: its centre and its membership scope."""

    county: str
    centre_name: str
    scope: str


ALLIANCE_CODE = "luoping-pact"
ALLIANCE_NAME = "滇黔桂三省（区）毗邻县跨域治理盟约"
COUNTERPARTS: tuple[CounterpartSpec, ...] = (
    CounterpartSpec("530324000000", "罗平县社会治安综合治理中心", "发起县"),
    CounterpartSpec("522301000000", "兴义市社会治安综合治理中心", "成员县"),
    CounterpartSpec("451030000000", "西林县社会治安综合治理中心", "成员县"),
)

"""The standard roles of grassroots governance (codes, Chinese names, descriptions), shared by
the staffing presets and the demo county.

>>> dict((code, name) for code, name, _ in ROLES)["police_assistant"]
'警务助理'
"""

from __future__ import annotations

__all__ = ["NO_FALLBACK_ROLES", "ROLES", "ROLE_NAMES"]

#: (code, name, description) of every standard role.
ROLES: tuple[tuple[str, str, str], ...] = (
    ("police_assistant", "警务助理", "派驻村（社区）的警务助理，协助民警开展治安防范"),
    ("judge_assistant", "法官助理", "联系村（社区）的法官助理，指导诉前调解"),
    ("legal_adviser", "法律顾问", "村（居）法律顾问，提供法律咨询"),
    ("law_literate", "法律明白人", "村民中的法律明白人，参与普法与初调"),
    ("women_chair", "妇联主席", "村（社区）妇联主席，参与婚姻家庭纠纷化解"),
    ("youth_secretary", "团支书", "村（社区）团支部书记"),
    ("governance_officer", "综治专员", "村（社区）综治专员，负责综治中心日常工作"),
    ("grid_worker", "网格员", "负责一个微网格的巡查、采集与上报"),
    ("grid_leader", "网格长", "负责一级或二级网格的统筹调度"),
    ("centre_director", "综治中心主任", "县、乡综治中心负责人"),
    ("mediator", "调解员", "乡镇综治中心专职人民调解员"),
    ("contracted_lawyer", "签约律师", "与村签约的律师"),
    ("auxiliary_police", "辅警", "协助民警工作的警务辅助人员"),
    ("community_police", "社区民警", "负责社区警务的民警"),
    ("whistleblower", "吹哨人", "末端防处单元的吹哨人"),
    ("supervisor", "督办领导", "对超期事项挂牌督办的县级领导"),
)

#: Roles whose vacant seats do not fall back to an ancestor's holder: a law-literate resident
#: (法律明白人) is a villager, and no township official stands in for one.
NO_FALLBACK_ROLES: frozenset[str] = frozenset({"law_literate"})

#: Role code -> Chinese name.
ROLE_NAMES: dict[str, str] = {code: name for code, name, _ in ROLES}

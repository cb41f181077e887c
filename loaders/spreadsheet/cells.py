"""Cell values as people type them: full-width characters, stray spaces, Excel dates and
numbers, codes that lost digits, Chinese tier and level names, phone numbers.

Every parser takes a raw cell (``str``, ``int``, ``float``, ``datetime`` from openpyxl, or
``None``) and returns a clean value or raises ``CellError`` with a stable code and a message in
Chinese and English. Text is NFKC-normalised (full-width letters, digits and punctuation become
half-width) and trimmed, inner runs of spaces collapse to one.

>>> clean_text("  ＡＢＣ　１２３  x ")
'ABC 123 x'
>>> parse_code(451225100201.0), parse_code(" 4512 2510 0201 ")
('451225100201', '451225100201')
>>> parse_code(45122510020)
Traceback (most recent call last):
...
loaders.spreadsheet.cells.CellError: CODE_LOST_ZEROS: 45122510020 has 11 digits, a division code has 12 (digits were lost, e.g. a column formatted as numbers): type the full code as text
>>> [parse_date(v).isoformat() for v in ("2021-03-01", "2021/3/1", "2021.3.1", "2021年3月1日", 44256)]
['2021-03-01', '2021-03-01', '2021-03-01', '2021-03-01', '2021-03-01']
>>> parse_phone("138 0778 1234"), parse_phone("0778-1234567")
('13807781234', '0778-1234567')
>>> parse_tier("三级网格"), parse_level("镇"), parse_count("1,234户")
(3, <Level.TOWNSHIP: 'township'>, 1234)
>>> split_list("451225100201-001、451225100201-002，451225100201-003")
['451225100201-001', '451225100201-002', '451225100201-003']
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

from registry.codes import Level, validate_code
from registry.errors import InvalidInput

__all__ = [
    "CellError",
    "clean_text",
    "is_blank",
    "parse_code",
    "parse_count",
    "parse_date",
    "parse_key",
    "parse_level",
    "parse_phone",
    "parse_text",
    "parse_tier",
    "split_list",
]

_SPACES = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
_SHORT_CODE = re.compile(r"^(?:\d{1,11}|\d{1,11}-\d+|\d{12}-\d{1,2})$")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Lotus leap-year bug included)
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
_PLAIN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_TIER = re.compile(r"^(?:第)?([一二三四1234])(?:级|层)?(?:网格)?$")
_TIER_WORDS = {"微网格": 3, "末端防处单元": 4, "末端单元": 4, "末端": 4}
_LEVEL_WORDS: dict[str, Level] = {
    **{lv.value: lv for lv in Level},
    **dict.fromkeys(("省", "自治区", "直辖市", "省级"), Level.PROVINCE),
    **dict.fromkeys(("市", "地级市", "州", "自治州", "地区", "盟", "地级"), Level.PREFECTURE),
    **dict.fromkeys(
        ("县", "区", "县级市", "自治县", "旗", "自治旗", "市辖区", "县级"), Level.COUNTY
    ),
    **dict.fromkeys(("乡", "镇", "街道", "乡镇", "民族乡", "苏木", "乡级"), Level.TOWNSHIP),
    **dict.fromkeys(("村", "行政村", "社区", "居委会", "嘎查", "村级"), Level.VILLAGE),
    **dict.fromkeys(("屯", "自然村", "村民小组", "组", "居民小组", "小组"), Level.HAMLET),
}


class CellError(Exception):
    """A cell that cannot be read: a stable ``code`` and messages in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en


def clean_text(value: Any) -> str:
    """The text of a cell: NFKC, trimmed, inner runs of white space collapsed to one space."""
    if type(value) is str:  # the common case first
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        return str(int(value))
    elif isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    elif isinstance(value, date):
        return value.isoformat()
    else:
        text = str(value)
    if _is_clean(text):
        return text
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _is_clean(text: str) -> bool:
    """True when ``clean_text`` would return ``text`` as it is (the common case, checked in C):
    NFKC already, no white space but single inner ASCII spaces (every other white space
    character is not printable)."""
    return (
        text.isprintable()
        and text[:1] != " "
        and text[-1:] != " "
        and "  " not in text
        and (text.isascii() or unicodedata.is_normalized("NFKC", text))
    )


def is_blank(value: Any) -> bool:
    """True for an empty cell (None or only white space)."""
    if value is None:
        return True
    if isinstance(value, str):
        # the same as clean_text(value) == "": a character NFKC turns into white space is
        # white space itself (checked over every code point)
        return not value or value.isspace()
    return False


def parse_text(value: Any) -> str:
    """Clean text (see ``clean_text``)."""
    return clean_text(value)


def _number_text(value: Any) -> str | None:
    """Digits of a numeric cell (int or integral float), None for other cells."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                "BAD_CODE",
                f"“{value}”不是代码（带小数）",
                f"{value} is not a code (it has a fraction)",
            )
        return str(int(value))
    return None


def parse_key(value: Any) -> str:
    """An id (grid code, person id, post id): text without any white space; numbers typed
    in a cell (``1001``, ``1001.0``) become their digits.

    >>> parse_key(" G451225 - 001 "), parse_key(1001.0)
    ('G451225-001', '1001')
    """
    if type(value) is str and _is_plain_key(value):
        return value
    digits = _number_text(value)
    if digits is not None:
        return digits
    text = _SPACES.sub("", clean_text(value)).lstrip("'")
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _is_plain_key(text: str) -> bool:
    """True when ``parse_key`` would return ``text`` as it is: printable ASCII (NFKC leaves it
    alone) without spaces, a leading ' or a trailing .0."""
    return (
        text.isascii()
        and text.isprintable()
        and " " not in text
        and text[:1] != "'"
        and not text.endswith(".0")
        and text != ""
    )


def parse_code(value: Any) -> str:
    """A 12-digit division code or a hamlet id (``<village code>-NNN``).

    A code that lost digits because it was stored as a number (fewer than 12 digits, or the
    ``4.51225E+11`` of a CSV saved by Excel) is ``CODE_LOST_ZEROS``, never padded or guessed.
    """
    text = parse_key(value)
    if _SCIENTIFIC.match(text):
        raise CellError(
            "CODE_LOST_ZEROS",
            f"代码“{text}”是科学计数法，位数已丢失：请把该列设为文本并填写完整代码",
            f"{text} is in scientific notation and lost digits: format the column as text "
            "and type the full code",
        )
    if _SHORT_CODE.match(text):
        digits = len(text.split("-")[0])
        if digits == 12:
            zh = f"代码“{text}”的屯（组）序号应为三位，前导零已丢失"
            en = f"{text}: a hamlet number has 3 digits (leading zeros were lost)"
        else:
            zh = f"代码“{text}”只有{digits}位，区划代码为12位（位数已丢失，例如该列按数字保存）：请按文本填写完整代码"
            en = (
                f"{text} has {digits} digits, a division code has 12 (digits were lost, e.g. "
                "a column formatted as numbers): type the full code as text"
            )
        raise CellError("CODE_LOST_ZEROS", zh, en)
    try:
        return validate_code(text)
    except InvalidInput:
        raise CellError(
            "BAD_CODE",
            f"“{text}”不是12位区划代码或屯（组）编码",
            f"{text!r} is not a 12-digit division code or a hamlet id",
        ) from None


def _bad_date(value: Any) -> CellError:
    text = clean_text(value)
    return CellError(
        "BAD_DATE",
        f"“{text}”不是有效日期（例如 2021-03-01、2021/3/1、2021年3月1日）",
        f"{text!r} is not a date (e.g. 2021-03-01, 2021/3/1, 2021年3月1日)",
    )


def _make_date(value: Any, year: int, month: int, day: int) -> date:
    try:
        found = date(year, month, day)
    except ValueError:
        raise _bad_date(value) from None
    if not 1900 <= found.year <= 2199:
        raise _bad_date(value)
    return found


def parse_date(value: Any) -> date:
    """A day from an Excel date cell, an Excel serial number, or text such as 2021-03-01,
    2021/3/1, 2021.3.1, 2021年3月1日 or 20210301."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = int(value)
        if 19000101 <= whole <= 21991231:  # 20210301 typed as a number
            return _make_date(value, whole // 10000, whole // 100 % 100, whole % 100)
        if 18264 <= whole <= 73415:  # an Excel serial day number (1950-01-01 .. 2100-12-31)
            return _make_date(value, *(_EXCEL_EPOCH + timedelta(days=whole)).timetuple()[:3])
        raise _bad_date(value)
    text = clean_text(value)
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if m:
        return _make_date(value, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if text.isdigit() and len(text) == 5:  # a serial number that became text
        return parse_date(int(text))
    raise _bad_date(value)


def parse_count(value: Any) -> int:
    """A non-negative whole number (households); ``1,234`` and a trailing 户/人 are accepted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and value >= 0:
            return int(value)
    else:
        text = clean_text(value).replace(",", "").removesuffix("户").removesuffix("人").strip()
        if text.isdigit():
            return int(text)
    shown = clean_text(value)
    raise CellError(
        "BAD_NUMBER",
        f"“{shown}”不是非负整数",
        f"{shown!r} is not a whole number of zero or more",
    )


def parse_tier(value: Any) -> int:
    """A grid tier 1-4: a number, or 一级/二级网格/三级/微网格 (3)/末端防处单元 (4)."""
    text = clean_text(value)
    tier = _TIER_WORDS.get(text)
    if tier is None:
        m = _TIER.match(text)
        tier = _CN_DIGITS[m.group(1)] if m else None
    if tier is None:
        raise CellError(
            "BAD_NUMBER",
            f"网格层级“{text}”无效，应为 1 至 4（一级至四级）",
            f"grid tier {text!r} is not 1 to 4",
        )
    return tier


def parse_level(value: Any) -> Level:
    """An administrative level: English (``village``) or Chinese (省, 市, 县, 镇, 村, 屯, ...)."""
    text = clean_text(value)
    found = _LEVEL_WORDS.get(text.lower()) or _LEVEL_WORDS.get(text)
    if found is None:
        raise CellError(
            "BAD_VALUE",
            f"级别“{text}”无法识别（省、市、县、乡镇、村、屯）",
            f"level {text!r} is not one of province, prefecture, county, township, village, "
            "hamlet (or 省, 市, 县, 乡镇, 村, 屯)",
        )
    return found


def parse_phone(value: Any) -> str:
    """A mainland mobile number (11 digits from 13-19; spaces, dashes and +86 dropped) or a
    landline with its area code (``0778-1234567``); anything else is ``PHONE_MALFORMED``."""
    if type(value) is str and _PLAIN_MOBILE.fullmatch(value):
        return value  # a plain mobile number, as the rules below would return it
    digits = _number_text(value) if isinstance(value, int | float) else None
    text = digits if digits is not None else _SPACES.sub("", clean_text(value))
    text = re.sub(r"^\((0\d{2,3})\)", r"\1-", text)
    mobile = _MOBILE.match(re.sub(r"[-()]", "", text))
    if mobile:
        return mobile.group(1)
    if _LANDLINE.match(text):
        return text
    hint_zh, hint_en = "", ""
    if digits is not None and len(digits) in (9, 10, 11) and not digits.startswith("1"):
        hint_zh, hint_en = "（疑似区号前的0已丢失）", " (the leading 0 of the area code looks lost)"
    raise CellError(
        "PHONE_MALFORMED",
        f"电话号码“{clean_text(value)}”格式不正确：应为11位手机号或带区号的固定电话{hint_zh}",
        f"phone number {clean_text(value)!r} is neither an 11-digit mobile number nor a "
        f"landline with its area code{hint_en}",
    )


def split_list(value: Any) -> list[str]:
    """Items of a list cell separated by 、 , ， ; ； or spaces (empty items dropped)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [clean_text(value)]
    return [p for p in _LIST_SEPARATORS.split(clean_text(value)) if p]

"""Import issues: where a problem is, a stable code, and a message in Chinese and English.

Every problem found while importing is one ``ImportIssue`` naming the file, the sheet (XLSX
only), the row (spreadsheet numbering, 1-based; for GeoJSON the feature number), the column
(the header text as written in the file) and a stable ``code`` from ``CODES``.

>>> at = Where("staff.csv", None, 3, "联系电话")
>>> i = issue(at, "PHONE_MALFORMED", "电话号码“123”格式不正确", "phone number '123' is malformed")
>>> str(i)
"staff.csv, row 3, column 联系电话: [PHONE_MALFORMED] phone number '123' is malformed"
>>> i.to_json()["message_zh"]
'电话号码“123”格式不正确'
>>> ImportRefused([i]).issues[0].code
'PHONE_MALFORMED'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.errors import LoadError, LoadIssue

__all__ = ["CODES", "ImportIssue", "ImportRefused", "Origin", "Where", "issue"]

#: Every issue code, with its meaning in Chinese and English (the table of docs/import.md).
CODES: dict[str, tuple[str, str]] = {
    # files and sheets
    "UNREADABLE_FILE": (
        "文件无法读取（不存在、格式不支持或已损坏）",
        "the file cannot be read (missing, unsupported type or corrupt)",
    ),
    "ENCODING": (
        "文件编码无法识别（不是 UTF-8 或 GBK/GB18030）",
        "the file is neither UTF-8 nor GBK/GB18030",
    ),
    "EMPTY_FILE": ("文件没有数据行", "the file holds no data rows"),
    "UNKNOWN_SHEET_KIND": (
        "无法从表头判断表格类型",
        "the kind of table cannot be told from its headers",
    ),
    "BAD_MAPPING": ("映射文件有误", "the mapping file is malformed"),
    "MISSING_COLUMN": ("缺少必需的列", "a required column is missing"),
    "UNKNOWN_COLUMN": ("列名无法识别（严格模式）", "a column is not recognised (strict mode)"),
    "DUPLICATE_COLUMN": ("两列对应同一字段", "two columns map to the same field"),
    "UNKNOWN_CRS": ("坐标系无法识别", "the coordinate system is not WGS84 or GCJ02"),
    # cells
    "MISSING_VALUE": ("必填单元格为空", "a required cell is empty"),
    "BAD_VALUE": ("单元格取值无效", "a cell holds an invalid value"),
    "BAD_DATE": ("日期无效", "a date is invalid"),
    "BAD_NUMBER": ("数字无效", "a number is invalid"),
    "BAD_CODE": ("区划代码格式错误", "a division code is malformed"),
    "CODE_LOST_ZEROS": (
        "代码按数字保存后丢失了位数（如前导零）",
        "a code stored as a number lost digits (e.g. leading zeros)",
    ),
    "PHONE_MALFORMED": ("电话号码格式不正确", "a phone number is malformed"),
    "UNKNOWN_ROLE": ("岗位无法识别", "the role is not a known role"),
    "UNKNOWN_CATEGORY": ("类别无法识别", "the category (kind) is not known"),
    # records
    "DUPLICATE_ID": ("编码重复", "an id appears twice"),
    "TWO_PARENTS": ("同一编码给出了两个不同的上级", "one id is given two different parents"),
    "UNKNOWN_PARENT": ("上级不存在", "the parent does not exist"),
    "UNKNOWN_REFERENCE": ("引用的对象不存在", "a referenced record does not exist"),
    "CYCLE": ("上级关系形成循环", "the parent chain loops"),
    "SKIPPED_TIER": ("上级不是上一层级（跳级）", "the parent is not exactly one tier or level up"),
    "LEVEL_MISMATCH": ("级别与代码或上级不符", "a level contradicts the code or the parent"),
    "CODE_MISMATCH": ("代码与上级代码不一致", "a code does not agree with its parent's code"),
    "TERM_OVERLAP": ("同一岗位任期重叠", "two terms of one post overlap"),
    "GEOMETRY_INVALID": ("边界几何无效", "a boundary geometry is invalid"),
    "STORE_CHANGED": (
        "生成导入计划后数据已变化，请重新导入",
        "the store changed after the plan was made; import again",
    ),
}


@dataclass(frozen=True, slots=True)
class Where:
    """A place in an input: file, sheet (None for CSV and GeoJSON), row, column (header text)."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was built from: the file, sheet and row, and the column of each field.

    >>> o = Origin("grids.csv", None, 4, {"parent": "上级网格", "code": "网格编码"})
    >>> o.at("parent"), o.at("county", "code").column
    (Where(file='grids.csv', sheet=None, row=4, column='上级网格'), '网格编码')
    """

    file: str
    sheet: str | None
    row: int | None
    columns: Mapping[str, str] = field(default_factory=dict)

    def at(self, *fields: str) -> Where:
        """The cell of the first of ``fields`` that came from a column (else the row)."""
        for name in fields:
            column = self.columns.get(name)
            if column is not None:
                return Where(self.file, self.sheet, self.row, column)
        return Where(self.file, self.sheet, self.row, None)

    def with_columns(self, columns: Mapping[str, str]) -> Origin:
        """The same row, with another field → column map."""
        return Origin(self.file, self.sheet, self.row, columns)


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem found in the input, located by file, sheet, row and column."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        where = self.file
        if self.sheet is not None:
            where += f" [{self.sheet}]"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: [{self.code}] {self.message_en}"

    @property
    def where(self) -> tuple[str, str | None, int | None, str | None]:
        """``(file, sheet, row, column)``."""
        return (self.file, self.sheet, self.row, self.column)

    def to_json(self) -> dict[str, Any]:
        """The issue as a JSON object."""
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }

    def to_load_issue(self) -> LoadIssue:
        """The issue in the registry's ``LoadIssue`` form (sheet folded into the file name)."""
        name = self.file if self.sheet is None else f"{self.file} [{self.sheet}]"
        return LoadIssue(
            name, self.row, self.column, self.code, f"{self.message_en} / {self.message_zh}"
        )


def issue(where: Where, code: str, zh: str, en: str) -> ImportIssue:
    """An issue at ``where``; ``code`` must be one of ``CODES``."""
    if code not in CODES:
        raise ValueError(f"unknown issue code {code!r}")
    return ImportIssue(where.file, where.sheet, where.row, where.column, code, zh, en)


class ImportRefused(LoadError):
    """An import was refused: ``import_issues`` lists every problem. Nothing was written."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.import_issues = tuple(issues)
        super().__init__([i.to_load_issue() for i in self.import_issues])

"""Import real county data: spreadsheets (XLSX, CSV), GeoJSON boundaries and division codes.

``plan_import(store, paths, mapping=None, effective=None, crs=None)`` reads the files, builds
records with the row each came from, validates everything in memory (collecting every problem
with its file, sheet, row, column, a stable code and a message in Chinese and English) and
compares the records with the store; ``apply_import(store, plan, actor=, reason=)`` writes the
plan in one atomic ``store.apply``, or refuses it when it has issues. Re-importing the same
files writes nothing. The format, the codes and the rules are described in ``docs/import.md``.

Modules: ``issues`` (issue codes and locations), ``cells`` (cell values), ``headers`` (sheet
kinds and header names), ``mapping`` (the mapping file), ``sources`` (reading CSV and XLSX),
``tables`` (header detection), ``rows`` (parsed rows), ``inputs`` (all files of an import),
``context`` and ``batch`` (the store view and the records being built), ``places``, ``grids``,
``organizations``, ``staff``, ``boundaries`` (building records per kind), ``terms`` (ended and
overlapping terms), ``checks`` (the registry's invariants), ``diff``, ``plan`` and ``report``
(tables, JSON and the ``gridreg import`` command).

>>> import tempfile
>>> from pathlib import Path
>>> from registry.store import open_store
>>> from registry.model import Level, Place
>>> store = open_store("memory://")
>>> _ = store.apply([Place(code="450000000000", name="广西壮族自治区", level=Level.PROVINCE)])
>>> tmp = tempfile.TemporaryDirectory()
>>> f = Path(tmp.name) / "区划.csv"
>>> _ = f.write_bytes("区划代码,名称\\n451200000000,河池市\\n45122500000,罗城县\\n".encode("gbk"))
>>> plan = plan_import(store, [f])
>>> [(i.row, i.column, i.code) for i in plan.issues]
[(3, '区划代码', 'CODE_LOST_ZEROS')]
>>> "只有11位" in plan.issues[0].message_zh
True
>>> tmp.cleanup()
"""

from __future__ import annotations

from loaders.spreadsheet.diff import Change, ImportDiff
from loaders.spreadsheet.issues import CODES, ImportIssue, ImportRefused
from loaders.spreadsheet.mapping import Mapping, load_mapping, parse_mapping
from loaders.spreadsheet.plan import ImportPlan, apply_import, plan_import

__all__ = [
    "CODES",
    "Change",
    "ImportDiff",
    "ImportIssue",
    "ImportPlan",
    "ImportRefused",
    "Mapping",
    "apply_import",
    "load_mapping",
    "parse_mapping",
    "plan_import",
]

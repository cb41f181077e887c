"""How many spreadsheet rows per second does ``gridreg import`` take, on a city-size region?

    python -m bench.import_rate [--scale city] [--counties N] [--store memory|sqlite] [--smoke]

Generates a synthetic region (``loaders.synthetic``), writes its places and grids straight into a
fresh store, then writes the region's staff roster (every holding of a grid or village seat: 姓名,
联系电话, 岗位, 网格编码/区划代码, 任职日期, 离任日期, 人员编号, 岗位编号) as a UTF-8 CSV the way a
county office would keep it, and imports it with ``plan_import`` + ``apply_import``. Reports
rows, seconds and rows per second for reading and checking (plan) and for writing (apply), and
the baseline measured in the same run: reading the same CSV with the standard ``csv`` module
(the least any importer could cost). The issue's target is 50,000 rows per second into the
embedded store. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loaders.spreadsheet.plan import apply_import, plan_import
from loaders.synthetic import generate
from registry.model import AnyRecord, Holding, Person, Post
from registry.roles import ROLE_NAMES
from registry.store import open_store

HEADER = [
    "姓名",
    "联系电话",
    "岗位",
    "网格编码",
    "区划代码",
    "任职日期",
    "离任日期",
    "人员编号",
    "岗位编号",
]


def _split(records: list[AnyRecord]) -> tuple[list[AnyRecord], list[list[str]]]:
    """Records without the staff (to load first) and the staff roster rows."""
    people = {r.id: r for r in records if isinstance(r, Person)}
    posts = {r.id: r for r in records if isinstance(r, Post)}
    rows: list[list[str]] = []
    for h in records:
        if not isinstance(h, Holding):
            continue
        post, person = posts.get(h.post), people.get(h.person)
        if post is None or person is None or post.organization is not None:
            continue
        rows.append(
            [
                person.name,
                person.phone or "",
                ROLE_NAMES.get(post.role, post.role),
                post.grid or "",
                post.place or "",
                h.valid_from.isoformat() if h.valid_from else "",
                h.valid_to.isoformat() if h.valid_to else "",
                person.id,
                post.id,
            ]
        )
    base: list[AnyRecord] = [
        r for r in records if not isinstance(r, Holding | Person) and not isinstance(r, Post)
    ]
    return base, rows


def measure(scale: str, counties: int | None, kind: str) -> dict[str, Any]:
    records = [r for batch in generate(scale, 1, counties=counties) for r in batch]
    base, rows = _split(records)
    folder = Path(tempfile.mkdtemp(prefix="gridreg-import-"))
    url = "memory://" if kind == "memory" else f"sqlite:///{folder / 'registry.db'}"
    store = open_store(url)
    store.apply(base, actor="bench", operation="load")
    path = folder / "人员名册.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    start = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        baseline_rows = sum(1 for _ in csv.reader(f)) - 1
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_import(store, [path])
    planned = time.perf_counter() - start
    issues = [(i.code, i.row, i.column) for i in plan.issues][:5]
    start = time.perf_counter()
    result = None if plan.issues else apply_import(store, plan, reason="bench")
    applied = time.perf_counter() - start
    store.close()
    total = planned + applied
    return {
        "scale": scale,
        "counties": counties,
        "store": kind,
        "rows": len(rows),
        "issues": len(plan.issues),
        "first_issues": issues,
        "written": 0 if result is None else result.written,
        "plan_seconds": round(planned, 3),
        "apply_seconds": round(applied, 3),
        "rows_per_second": round(len(rows) / total) if total else None,
        "baseline_csv_reader_rows_per_second": round(baseline_rows / baseline)
        if baseline
        else None,
        "x_baseline": round(total / baseline, 1) if baseline else None,
        "target_50000_rows_per_second": bool(total) and len(rows) / total >= 50_000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="city")
    parser.add_argument("--counties", type=int, default=None)
    parser.add_argument("--store", choices=["memory", "sqlite"], default="sqlite")
    parser.add_argument("--smoke", action="store_true", help="one county, in memory")
    args = parser.parse_args(argv)
    if args.smoke:
        result = measure("county", None, "memory")
    else:
        result = measure(args.scale, args.counties, args.store)
    doc = {
        "benchmark": "import_rate",
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "result": result,
    }
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if result["issues"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

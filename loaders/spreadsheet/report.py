"""Showing an import: a progress bar while planning, then the summary table (per kind:
added, changed, ended, unchanged), the changes and the issues table (file, sheet, row,
column, code, 中文, English), or the same as one JSON document (``--json``).

``run_import`` is what ``gridreg import`` does; it returns the exit code (1 when the plan has
issues: nothing is written then).

>>> import io
>>> from registry.testing import sample_store
>>> console = Console(file=io.StringIO())
>>> code = run_import(sample_store(), ["nowhere.csv"], out=console, err=console, as_json=True)
>>> code, json.loads(console.file.getvalue())["issues"][0]["code"]
(1, 'UNREADABLE_FILE')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from loaders.spreadsheet.issues import ImportIssue
from loaders.spreadsheet.plan import ImportPlan, apply_import, plan_import
from registry.store.base import GraphStore, WriteResult

__all__ = ["changes_table", "issues_table", "report_json", "run_import", "summary_table"]

_WIDE = 200


def summary_table(plan: ImportPlan) -> Table:
    """Per kind: added, changed, ended, unchanged."""
    table = Table(title=f"导入汇总 import summary (effective {plan.effective})")
    for name in ("类别 kind", "新增 added", "变更 changed", "终止 ended", "未变 unchanged"):
        table.add_column(name, justify="left" if name.startswith("类别") else "right")
    for kind, counts in plan.diff.counts().items():
        table.add_row(kind, *(str(counts[k]) for k in ("added", "changed", "ended", "unchanged")))
    return table


def changes_table(plan: ImportPlan, limit: int = 100) -> Table:
    """The first ``limit`` changes: what happens to which record."""
    d = plan.diff
    rows: list[tuple[str, str, str]] = [("新增 added", k, key) for k, key in d.added]
    rows += [("变更 changed", c.kind, f"{c.key} ({', '.join(c.fields)})") for c in d.changed]
    rows += [("终止 ended", k, key) for k, key in d.ended]
    shown = len(rows) if len(rows) <= limit else limit
    table = Table(title=f"变更明细 changes ({shown} of {len(rows)})")
    for name in ("变化 change", "类别 kind", "记录 record"):
        table.add_column(name, overflow="fold")
    for row in rows[:limit]:
        table.add_row(*row)
    return table


def issues_table(issues: Sequence[ImportIssue]) -> Table:
    """Every issue: file, sheet, row, column, code, and the messages in both languages."""
    table = Table(title=f"问题 issues ({len(issues)})，未写入任何数据 nothing was written")
    for name in (
        "文件 file",
        "工作表 sheet",
        "行 row",
        "列 column",
        "代码 code",
        "中文",
        "English",
    ):
        table.add_column(name, overflow="fold", no_wrap=name.startswith(("行", "代码")))
    for i in issues:
        table.add_row(
            i.file,
            i.sheet or "",
            "" if i.row is None else str(i.row),
            i.column or "",
            i.code,
            i.message_zh,
            i.message_en,
        )
    return table


def report_json(plan: ImportPlan, *, dry_run: bool, result: WriteResult | None) -> dict[str, Any]:
    """The JSON report: the plan, and what was written."""
    return {
        **plan.to_json(),
        "dry_run": dry_run,
        "applied": result is not None,
        "written": 0 if result is None else result.written,
        "audit_id": None if result is None else result.audit_id,
    }


def run_import(
    store: GraphStore,
    files: Sequence[str | Path],
    *,
    out: Console,
    err: Console,
    mapping: str | Path | None = None,
    dry_run: bool = False,
    as_json: bool = False,
    effective: date | None = None,
    crs: str | None = None,
    actor: str = "import",
    reason: str = "",
) -> int:
    """Plan, show, and (unless ``dry_run`` or there are issues) apply; returns the exit code."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=err, transient=True, disable=as_json or not err.is_terminal
    ) as bar:
        task = bar.add_task("importing", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        plan = plan_import(store, files, mapping, effective, crs, progress)
    if as_json:
        result = None
        if plan.ok and not dry_run:
            result = apply_import(store, plan, actor=actor, reason=reason)
        text = json.dumps(report_json(plan, dry_run=dry_run, result=result), ensure_ascii=False)
        out.file.write(text + "\n")
        return 0 if plan.ok else 1
    if not out.is_terminal:  # a file or a pipe: wide enough for the messages on one line
        out = Console(file=out.file, width=_WIDE, no_color=True, highlight=False)
    # The diff is shown before anything is written.
    out.print(summary_table(plan))
    if not plan.diff.empty:
        out.print(changes_table(plan))
    if plan.issues:
        out.print(issues_table(plan.issues))
        out.print(
            f"refused: {len(plan.issues)} issue(s), nothing was written / "
            f"发现 {len(plan.issues)} 个问题，未写入任何数据",
            markup=False,
            highlight=False,
        )
        return 1
    if dry_run:
        what = "nothing would change" if plan.diff.empty else f"{len(plan.writes)} record(s)"
        out.print(f"dry run: {what}; nothing was written / 试运行，未写入", highlight=False)
        return 0
    result = apply_import(store, plan, actor=actor, reason=reason)
    if result is None:
        out.print("nothing changed: no write / 数据无变化，未写入", highlight=False)
    else:
        out.print(
            f"imported: {result.written} record(s) written (audit #{result.audit_id}) / "
            f"已导入 {result.written} 条记录",
            highlight=False,
        )
    return 0

"""``gridreg import``: exit codes, the summary and issues tables (with Chinese), ``--json``,
``--dry-run``, ``--effective``, ``--mapping`` and ``--crs``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gridreg_cli import app
from loaders.spreadsheet.report import run_import
from registry.geo import from_wgs84
from registry.model import Boundary, Holding, Person
from registry.store import open_store
from registry.testing import sample_records
from tests.loaders.fixtures.spreadsheets import (
    audit_count,
    feature,
    geojson,
    ring,
    snapshot,
    write_text,
)

runner = CliRunner()
G111 = "G451225-001-01-01"
STAFF = (
    "姓名,联系电话,岗位,网格编码,区划代码,任职日期\n"
    "韦小红,13807781234,网格员,G451225-001-01-01,,2024-01-01\n"
    "蓝天,13907781111,综治专员,,451225100201,2025-03-01\n"
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A SQLite store holding the sample registry."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with open_store(db) as store:
        store.apply(sample_records(), actor="test", operation="load")
    return db


def _snapshot(url: str) -> object:
    with open_store(url) as store:
        return snapshot(store)


def test_import_writes_and_prints_the_summary(url: str, tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF, "gb18030")
    result = runner.invoke(
        app, ["import", str(staff), "--store", url, "--effective", "2026-11-01", "--reason", "测试"]
    )
    assert result.exit_code == 0, result.output
    assert "导入汇总 import summary" in result.output
    assert "imported: 3 record(s) written" in result.output  # 蓝天, the new seat, the term
    with open_store(url) as store:
        assert [p.name for p in store.scan(Person) if p.name == "蓝天"] == ["蓝天"]
        assert store.audit_log(limit=1)[0].reason == "测试"
    again = runner.invoke(app, ["import", str(staff), "--store", url, "--effective", "2026-11-01"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_issues_exit_1_with_a_chinese_table_and_nothing_written(url: str, tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF.replace("13907781111", "1390778"))
    before = _snapshot(url)
    result = runner.invoke(app, ["import", str(staff), "--store", url])
    assert result.exit_code == 1
    out = result.output
    assert "问题 issues (1)" in out and "PHONE_MALFORMED" in out and "联系电话" in out
    assert "电话号码“1390778”格式不正确" in out
    assert "nothing was written" in out
    assert _snapshot(url) == before


def test_json_report(url: str, tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF)
    result = runner.invoke(
        app,
        ["import", str(staff), "--store", url, "--json", "--dry-run", "--effective", "2026-11-01"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {
        "ok",
        "effective",
        "files",
        "summary",
        "diff",
        "issues",
        "dry_run",
        "applied",
        "written",
        "audit_id",
    }
    assert report["ok"] and report["dry_run"] and not report["applied"]
    assert report["files"] == [
        {"file": "名册.csv", "sheet": None, "kind": "staff", "header_rows": [1], "rows": 2}
    ]
    assert report["summary"]["holding"] == {"added": 1, "changed": 0, "ended": 0, "unchanged": 1}
    assert report["diff"]["added"][0]["kind"] == "person"
    bad = write_text(tmp_path / "坏.csv", STAFF.replace("网格员,", "村长,"))
    result = runner.invoke(app, ["import", str(bad), "--store", url, "--json"])
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue == {
        "file": "坏.csv",
        "sheet": None,
        "row": 2,
        "column": "岗位",
        "code": "UNKNOWN_ROLE",
        "message_zh": issue["message_zh"],
        "message_en": issue["message_en"],
    }
    assert "村长" in issue["message_zh"] and "村长" in issue["message_en"]


def test_dry_run_writes_nothing(url: str, tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF)
    before = _snapshot(url)
    result = runner.invoke(app, ["import", str(staff), "--store", url, "--dry-run"])
    assert result.exit_code == 0 and "dry run: 3 record(s)" in result.output
    assert "变更明细 changes" in result.output
    assert _snapshot(url) == before


def test_effective_ends_the_terms_not_listed(url: str, tmp_path: Path) -> None:
    # Only the village's police assistant seat is listed, with a new holder from 2026-09-01:
    # the stored holder (H000002, since 2024-01-01) leaves on 2026-08-31.
    staff = write_text(
        tmp_path / "名册.csv",
        "姓名,联系电话,岗位,区划代码,任职日期\n吴丽,13900000001,警务助理,451225100201,2026-09-01\n",
    )
    result = runner.invoke(app, ["import", str(staff), "--store", url, "--effective", "2026-11-01"])
    assert result.exit_code == 0, result.output
    with open_store(url) as store:
        held = store.get(Holding, "H000002")
        assert held is not None and str(held.valid_to) == "2026-08-31"
        assert store.get(Holding, "H000001").valid_to is None  # type: ignore[union-attr]


def test_bad_options_are_refused(url: str, tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF)
    result = runner.invoke(app, ["import", str(staff), "--store", url, "--effective", "明天"])
    assert result.exit_code == 1 and "--effective" in result.output
    result = runner.invoke(app, ["import", str(staff), "--store", url, "--crs", "BD09"])
    assert result.exit_code == 1 and "--crs" in result.output


def test_mapping_and_crs_options(url: str, tmp_path: Path) -> None:
    roster = write_text(
        tmp_path / "花名册.csv",
        "序号,姓 名,手机,职务,所在网格,备注\n1,韦小红,13807781234,专职网格员,G451225-001-01-01,\n",
        "gb18030",
    )
    mapping = write_text(
        tmp_path / "映射.toml",
        '[roles]\n"专职网格员" = "grid_worker"\n\n[[sheets]]\nfile = "花名册*.csv"\n'
        'kind = "staff"\nstrict = true\n[sheets.columns]\n"序号" = ""\n"手机" = "phone"\n'
        '"所在网格" = "grid"\n"备注" = "ignore"\n',
    )
    x, y = from_wgs84(108.9, 24.8, "GCJ02")
    outline = write_text(
        tmp_path / "边界.geojson", geojson([feature({"网格编码": G111}, [ring(x, y, 0.01)])])
    )
    args = ["import", str(roster), str(outline), "--store", url, "--mapping", str(mapping)]
    result = runner.invoke(app, [*args, "--crs", "GCJ02", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["holding"]["unchanged"] == 1  # the stored term was recognised
    assert report["summary"]["boundary"] == {"added": 1, "changed": 0, "ended": 0, "unchanged": 0}
    with open_store(url) as store:
        b = store.get(Boundary, f"B-{G111}")
        assert b is not None and b.geometry.startswith(
            '{"type":"Polygon","coordinates":[[[108.9,24.8]'
        )


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    staff = write_text(tmp_path / "名册.csv", STAFF)
    store = open_store("memory://")
    store.apply(sample_records())
    err = io.StringIO()
    out = Console(file=io.StringIO(), width=200)
    tty = Console(file=err, force_terminal=True, width=100)
    assert run_import(store, [staff], out=out, err=tty, dry_run=True) == 0
    assert "5/5" in err.getvalue()  # one file and four stages
    quiet = io.StringIO()
    run_import(store, [staff], out=out, err=Console(file=quiet), dry_run=True)
    assert quiet.getvalue() == ""
    assert audit_count(store) == 1

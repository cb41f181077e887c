"""The command line: demo → load → export round trip, a malformed load refused intact, and the
coverage exports."""

from __future__ import annotations

import csv
import filecmp
import io
from pathlib import Path

import openpyxl
import orjson
import pytest
from typer.testing import CliRunner

from gridreg_cli import app
from loaders.demo import DEMO_COUNTY, DEMO_TODAY
from registry.queries.coverage import coverage_report
from registry.store import open_store
from schema.coverage_export import export_coverage

runner = CliRunner()


def _same_tree(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    _match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def test_cli_demo_load_export_round_trip(tmp_path: Path) -> None:
    demo_dir, out_dir = tmp_path / "demo", tmp_path / "out"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["demo", "--out", str(demo_dir)]).exit_code == 0
    loaded = runner.invoke(app, ["load", str(demo_dir), "--store", url, "--reason", "初始导入"])
    assert loaded.exit_code == 0, loaded.output
    assert "loaded" in loaded.output
    exported = runner.invoke(app, ["export", str(out_dir), "--store", url])
    assert exported.exit_code == 0, exported.output
    assert _same_tree(demo_dir, out_dir)


def test_cli_malformed_load_is_refused_and_store_unchanged(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["demo", "--out", str(good)]).exit_code == 0
    assert runner.invoke(app, ["load", str(good), "--store", url]).exit_code == 0
    # A second folder: one grid's parent points nowhere, one holding has a bad date.
    runner.invoke(app, ["demo", "--out", str(bad)])
    grid = (bad / "grid.csv").read_text(encoding="utf-8").splitlines()
    header = grid[0].split(",")
    cells = grid[5].split(",")
    cells[header.index("parent")] = "G-NOWHERE"
    grid[5] = ",".join(cells)
    (bad / "grid.csv").write_text("\n".join(grid) + "\n", encoding="utf-8")
    holding = (bad / "holding.csv").read_text(encoding="utf-8").splitlines()
    hcells = holding[2].split(",")
    hcells[holding[0].split(",").index("valid_from")] = "2024-13-45"
    holding[2] = ",".join(hcells)
    (bad / "holding.csv").write_text("\n".join(holding) + "\n", encoding="utf-8")

    refused = runner.invoke(app, ["load", str(bad), "--store", url])
    assert refused.exit_code == 1
    text = refused.output
    assert "nothing was written" in text
    assert "grid.csv, row 6, column parent: [UNKNOWN_REFERENCE]" in text
    assert "holding.csv, row 3, column valid_from: [INVALID_VALUE]" in text
    after = tmp_path / "after"
    assert runner.invoke(app, ["export", str(after), "--store", url]).exit_code == 0
    assert _same_tree(good, after)


def test_cli_schema_prints_sdl() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and "type Query" in result.output


def test_cli_serve_refuses_several_processes_on_an_embedded_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["serve", "--store", url, "--processes", "2"])
    assert result.exit_code == 1
    assert "INVALID_INPUT" in result.output and "shared store" in result.output


def test_cli_unreachable_neo4j_is_a_clear_error_without_credentials() -> None:
    result = runner.invoke(
        app, ["export", "/nonexistent", "--store", "bolt://neo4j:s3cret-pw@127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert "BACKEND_UNAVAILABLE" in result.output and "bolt://127.0.0.1:9" in result.output
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output


# --- gridreg coverage -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding the demo county, created with ``gridreg demo``."""
    url = f"sqlite:///{tmp_path_factory.mktemp('coverage') / 'demo.db'}"
    created = runner.invoke(app, ["demo", "--store", url])
    assert created.exit_code == 0, created.output
    return url


def _direct_export(url: str, fmt: str) -> bytes:
    with open_store(url) as store:
        report = coverage_report(store, DEMO_COUNTY, at=DEMO_TODAY)
        return export_coverage(report, store, fmt)


def test_cli_coverage_json_to_stdout_by_default(demo_url: str) -> None:
    result = runner.invoke(
        app, ["coverage", DEMO_COUNTY, "--store", demo_url, "--at", DEMO_TODAY.isoformat()]
    )
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.stdout_bytes)
    assert body["scope"]["name"] == "罗城仫佬族自治县" and body["at"] == "2026-11-01"
    assert len(body["gaps"]) == 16
    assert {g["status"] for g in body["gaps"]} == {"missing", "vacant", "expired"}
    assert result.stdout_bytes == _direct_export(demo_url, "json")


def test_cli_coverage_csv_and_xlsx_files(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = ["--at", DEMO_TODAY.isoformat(), "--store", demo_url]
    target = tmp_path / "缺口.csv"
    written = runner.invoke(app, ["coverage", DEMO_COUNTY, *day, "-f", "csv", "--out", str(target)])
    assert written.exit_code == 0, written.output
    assert "16 gap(s)" in written.output
    data = target.read_bytes()
    assert data.startswith("\ufeff".encode()) and data == _direct_export(demo_url, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 16 and {r["状态"] for r in rows} == {"缺岗", "空缺", "已到期"}

    monkeypatch.chdir(tmp_path)  # xlsx without --out: the default name in the current folder
    book = runner.invoke(app, ["coverage", DEMO_COUNTY, *day, "--format", "xlsx"])
    assert book.exit_code == 0, book.output
    default = tmp_path / f"coverage-{DEMO_COUNTY}-2026-11-01.xlsx"
    assert default.read_bytes() == _direct_export(demo_url, "xlsx")
    wb = openpyxl.load_workbook(default)
    assert wb.sheetnames == ["缺口", "汇总", "未覆盖"] and wb["缺口"].max_row == 17


def test_cli_coverage_help_says_where_xlsx_goes() -> None:
    result = runner.invoke(app, ["coverage", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "xlsx is written to coverage-<scope>-<at>.xlsx in the current directory" in text
    assert "UTF-8 with BOM" in text


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["451225999000"], "NOT_FOUND"),
        ([DEMO_COUNTY, "--template", "no-such-standard"], "NOT_FOUND"),
        ([DEMO_COUNTY, "--at", "2026-02-30"], "INVALID_INPUT"),
        ([DEMO_COUNTY, "--format", "pdf"], "INVALID_INPUT"),
    ],
)
def test_cli_coverage_errors(demo_url: str, args: list[str], code: str) -> None:
    result = runner.invoke(app, ["coverage", *args, "--store", demo_url])
    assert result.exit_code == 1
    assert code in result.output and "Traceback" not in result.output


def test_cli_token_create_list_revoke(tmp_path: Path) -> None:
    """``gridreg token``: the token is printed once, works against the service, is listed
    without its secret and, once revoked, is refused with 401."""
    from fastapi.testclient import TestClient

    from registry.testing import COUNTY, sample_records
    from schema.app import create_app

    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    with open_store(url) as store:
        store.apply(sample_records(), actor="test")
    made = runner.invoke(app, ["token", "create", "韦编辑", "--role", "editor", "--scope", COUNTY,
                               "--expires-days", "30", "--store", url])  # fmt: skip
    assert made.exit_code == 0, made.output
    text = made.stdout.strip().splitlines()[-1]
    assert text.startswith("grt_")
    token_id, secret = text[4:].split("_", 1)
    listed = runner.invoke(app, ["token", "list", "--store", url])
    assert listed.exit_code == 0 and token_id in listed.stdout and "韦编辑" in listed.stdout
    assert secret not in listed.stdout and "live" in listed.stdout
    again = runner.invoke(app, ["token", "create", "韦编辑", "--store", url])
    assert again.exit_code == 1 and "INVALID_INPUT" in again.output
    bad = runner.invoke(app, ["token", "create", "x", "--role", "root", "--store", url])
    assert bad.exit_code == 1 and "INVALID_INPUT" in bad.output

    query = {"query": 'mutation { updatePerson(id: "P000001", patch: {name: "韦小兰"}) { name } }'}
    headers = {"Authorization": f"Bearer {text}"}
    with open_store(url) as store:
        client = TestClient(create_app(store))
        assert client.post("/graphql", json=query, headers=headers).json()["data"]
        assert store.audit_log(limit=1)[0].actor == "韦编辑"
        revoked = runner.invoke(app, ["token", "revoke", token_id, "--store", url])
        assert revoked.exit_code == 0, revoked.output
        refused = client.post("/graphql", json=query, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    twice = runner.invoke(app, ["token", "revoke", text, "--store", url])
    assert twice.exit_code == 1 and "NOT_FOUND" in twice.output
    assert "revoked" in runner.invoke(app, ["token", "list", "--store", url]).stdout


def test_cli_serve_production_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``gridreg serve --production``: no GraphiQL, no introspection (as GRIDREG_PRODUCTION)."""
    import uvicorn
    from fastapi.testclient import TestClient

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda the_app, **_: served.append(the_app))
    monkeypatch.setenv("GRIDREG_PRODUCTION", "false")  # restored after the test
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    introspect = {"query": "{ __schema { queryType { name } } }"}
    for flags, closed in (([], False), (["--production"], True)):
        result = runner.invoke(app, ["serve", "--store", url, *flags])
        assert result.exit_code == 0, result.output
        client = TestClient(served[-1])  # type: ignore[arg-type]
        page = client.get("/graphql", headers={"Accept": "text/html"})
        assert (page.status_code == 200 and "graphiql" in page.text.lower()) is not closed
        body = client.post("/graphql", json=introspect).json()
        assert ("errors" in body) is closed

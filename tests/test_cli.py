"""The command line: demo → load → export round trip, and a malformed load refused intact."""

from __future__ import annotations

import filecmp
from pathlib import Path

from typer.testing import CliRunner

from gridreg_cli import app

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

"""The dashboard (``/dashboard``) of the demo county, served by a real uvicorn subprocess and
rendered by a real headless Chromium (Debian's ``chromium``) with no network: every host but
127.0.0.1 resolves nowhere and any proxied request goes to a closed port.

The figures on the page are checked against the GraphQL ``coverage`` report fetched over HTTP
from the same server, the map against the demo's stored boundaries and the report's entries, and
the screenshot (saved as ``dashboard.png`` in ``$GRIDREG_ARTIFACTS``, default ``tests/artifacts/``)
against the status colours.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from loaders.demo import DEMO_COUNTY, DEMO_TODAY, demo_gaps, demo_records
from registry.model import Boundary, Grid, in_force
from registry.testing import SAMPLE_TODAY, sample_store
from schema.app import create_app
from schema.dashboard_render import COLOURS, STATUS_CLASSES
from tests.serving import served_demo

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
AT = DEMO_TODAY.isoformat()
WIDTH, HEIGHT = 1400, 1800
#: Worst last, as in registry.queries.coverage.STATUSES (GraphQL spells them in capitals).
WORST = ["filled", "expiring", "over_staffed", "vacant", "expired", "missing"]
CHINESE = {"vacant": "空缺", "expired": "已到期", "missing": "缺岗"}


# --- a small DOM ---------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Node]:
        """Descendants (self included) with ``tag`` whose attributes match: a string is the
        value, True means present; ``data_x`` stands for ``data-x``, ``class_`` for ``class``."""
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and all(n.has(k, v) for k, v in want.items())
        ]

    def has(self, name: str, value: str | bool) -> bool:
        if value is True:
            return name in self.attrs
        if name == "class":
            return value in self.attrs.get("class", "").split()
        return self.attrs.get(name) == value

    def one(self, tag: str | None = None, **attrs: str | bool) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- a tiny PNG reader ---------------------------------------------------------------------------


def read_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows of unfiltered pixels) of an 8-bit RGB or RGBA,
    non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def colour_counts(rows: list[bytes], bpp: int, colours: dict[str, str]) -> Counter[str]:
    """How many pixels have exactly each of the ``colours`` (name -> #rrggbb)."""
    wanted = {bytes.fromhex(v.lstrip("#")): k for k, v in colours.items()}
    counts: Counter[str] = Counter()
    for row in rows:
        pixels = Counter(row[i : i + 3] for i in range(0, len(row), bpp))
        for rgb, name in wanted.items():
            counts[name] += pixels.get(rgb, 0)
    return counts


# --- the served demo and the browser -------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("dashboard") / "gridreg.db"
    log = db.with_suffix(".log")
    with served_demo(f"sqlite:///{db}", log) as base:
        yield base, log


def artifacts() -> Path:
    folder = Path(os.environ.get("GRIDREG_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium(profile: Path, *args: str) -> str:
    """Run headless Chromium offline; returns its standard output."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: scripts/test installs it")
        pytest.skip("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--lang=zh-CN",
            f"--user-data-dir={profile}",
            # no network: every host but the app's own resolves nowhere, and anything that
            # would be proxied goes to a closed port (loopback is never proxied)
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def dump_dom(url: str, profile: Path) -> str:
    return chromium(profile, "--virtual-time-budget=5000", "--dump-dom", url)


def gql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    r = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables}, timeout=60)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


REPORT = """query ($scope: String!, $at: Date!) {
  coverage(scope: $scope, at: $at) {
    scope { code name }
    totals { filled expiring overStaffed vacant expired missing total met fillRate }
    rollups { code name level counts { total met fillRate } }
    gridsPerTier { tier count }
    gaps(first: 100) { totalCount nodes { subjectCode roleCode status } }
  }
}"""

ENTRIES = """query ($scope: String!, $at: Date!, $after: String) {
  coverage(scope: $scope, at: $at) {
    entries(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { subjectCode subjectKind status }
    }
  }
}"""


def all_entries(base: str, scope: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    after = None
    while True:
        page = gql(base, ENTRIES, scope=scope, at=AT, after=after)["coverage"]["entries"]
        out.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def lowest_grid_boundaries() -> dict[str, int]:
    """The demo's lowest-tier grids in force on DEMO_TODAY -> boundaries in force then."""
    records = demo_records()
    grids = [r for r in records if isinstance(r, Grid) and in_force(r, DEMO_TODAY)]
    lowest = max(g.tier for g in grids)
    codes = {g.code for g in grids if g.tier == lowest}
    found: Counter[str] = Counter(
        b.grid
        for b in records
        if isinstance(b, Boundary) and b.grid in codes and in_force(b, DEMO_TODAY)
    )
    return dict(found)


def external_urls(dom: str, base: str) -> list[str]:
    return [u for u in re.findall(r"""https?://[^\s"'<>)]+""", dom) if not u.startswith(base)]


# --- the browser tests ---------------------------------------------------------------------------


def test_dashboard_in_chromium_matches_the_api(server: tuple[str, Path], tmp_path: Path) -> None:
    base, log = server
    dom_text = dump_dom(f"{base}/dashboard?at={AT}", tmp_path / "profile")
    (artifacts() / "dashboard.html").write_text(dom_text, encoding="utf-8")
    dom = parse(dom_text)

    # The page: Chinese, offline, its own stylesheet and script loaded from the app.
    assert dom.one("html").attrs.get("lang") == "zh-CN"
    assert "看板" in dom.one("head").one("title").text
    for label in ("网格", "乡镇", "配齐率", "缺口", "空缺", "在岗", "时点"):
        assert label in dom_text, label
    assert external_urls(dom_text, base) == []
    for n in dom.iter():
        for name in ("href", "src", "action"):
            if name in n.attrs:
                url = n.attrs[name]
                assert url == "data:," or url.startswith(("/", "#", base)), (n.tag, url)
    served = log.read_text()
    assert '"GET /dashboard/static/dashboard.css HTTP/1.1" 200' in served
    assert '"GET /dashboard/static/dashboard.js HTTP/1.1" 200' in served

    # The at selector and the scope: the default scope is the demo county.
    form = dom.one("form", method="get")
    assert form.one("input", type="date", name="at").attrs["value"] == AT
    assert form.find_all("select", name="scope")
    scope = dom.one(data_scope=True).attrs["data-scope"]
    assert scope == DEMO_COUNTY

    report = gql(base, REPORT, scope=scope, at=AT)["coverage"]
    assert report["scope"]["name"] in dom.one("h1").text

    # Summary figures equal the report's totals.
    totals = report["totals"]
    figures = {n.attrs["data-figure"]: n for n in dom.find_all(data_figure=True)}
    for key, gql_key in [
        ("total", "total"),
        ("met", "met"),
        ("filled", "filled"),
        ("expiring", "expiring"),
        ("over_staffed", "overStaffed"),
        ("vacant", "vacant"),
        ("expired", "expired"),
        ("missing", "missing"),
    ]:
        assert int(figures[key].attrs["data-value"]) == totals[gql_key], key
        assert figures[key].one(class_="value").text.strip() == str(totals[gql_key]), key
    gaps_total = report["gaps"]["totalCount"]
    assert int(figures["gaps"].attrs["data-value"]) == gaps_total == totals["total"] - totals["met"]
    assert float(figures["fill_rate"].attrs["data-value"]) == totals["fillRate"]
    shown = figures["fill_rate"].one(class_="value").text.strip()
    assert shown == f"{totals['fillRate'] * 100:.1f}%"

    # The chart: one bar per township, its fill rate as the report's rollup.
    rates = {
        r["code"]: (r["name"], r["counts"]["fillRate"])
        for r in report["rollups"]
        if r["level"] == "TOWNSHIP"
    }
    bars = dom.find_all("g", data_township=True)
    assert len(rates) == 11 and {b.attrs["data-township"] for b in bars} == set(rates)
    for bar in bars:
        name, rate = rates[bar.attrs["data-township"]]
        assert float(bar.attrs["data-fill-rate"]) == rate
        assert bar.one("tspan", class_="rate").text == f"{rate * 100:.1f}%"
        assert bar.one("text", class_="name").text == name

    # The map: one path per lowest-tier grid boundary, coloured as the report's entries say.
    boundaries = lowest_grid_boundaries()
    tiers = {t["tier"]: t["count"] for t in report["gridsPerTier"]}
    assert len(boundaries) == tiers[max(tiers)] == 1696
    paths = dom.find_all("path", data_grid=True)
    assert len(paths) == sum(boundaries.values())
    assert {p.attrs["data-grid"] for p in paths} == set(boundaries)
    per_grid: dict[str, list[str]] = {}
    for e in all_entries(base, scope):
        if e["subjectKind"] == "grid":
            per_grid.setdefault(e["subjectCode"], []).append(e["status"].lower())
    expected = Counter(
        max(per_grid[code], key=WORST.index) if code in per_grid else "none" for code in boundaries
    )
    assert Counter(p.attrs["data-status"] for p in paths) == expected
    assert expected["vacant"] == len(demo_gaps().vacant_grid_posts) == 3
    for p in paths:
        assert p.attrs["fill"] == COLOURS[STATUS_CLASSES[p.attrs["data-status"]]]
        assert p.attrs["data-grid"] in p.one("title").text
    assert len(dom.find_all("path", data_outline=True)) == 11  # township outlines
    assert dom.find_all("path", data_uncovered=True)  # the hamlets no micro-grid covers

    # The gaps table: one row per gap of the report, Chinese statuses, each with a drill-down.
    rows = dom.find_all("tr", data_gap=True)
    assert len(rows) == gaps_total
    gaps = {
        f"{g['subjectCode']}|{g['roleCode']}": g["status"].lower() for g in report["gaps"]["nodes"]
    }
    assert {r.attrs["data-gap"]: r.attrs["data-status"] for r in rows} == gaps
    for r in rows:
        assert CHINESE[r.attrs["data-status"]] in r.text
        assert r.find_all("a", href=True)

    # Drill down to a village with a planted vacant seat: the seat shows as vacant (空缺).
    post = demo_gaps().vacant_posts[0]
    village = post.split("-", 1)[0]
    row = next(r for r in rows if r.attrs["data-gap"].startswith(f"{village}|"))
    href = row.find_all("a", href=True)[0].attrs["href"]
    assert href.startswith(f"/dashboard/place/{village}?")
    page_text = dump_dom(base + href, tmp_path / "profile")
    page = parse(page_text)
    seat = page.one("tr", data_seat=post)
    assert seat.attrs["data-status"] == "vacant" and "空缺" in seat.text
    assert seat.find_all("td")[2].text == "—"  # nobody holds it
    assert page.find_all("tr", data_grid=True)  # the village's grids
    assert any(a.attrs["href"].startswith("/dashboard?") for a in page.find_all("a", href=True))
    assert external_urls(page_text, base) == []


def test_dashboard_screenshot_shows_the_coloured_map_and_chart(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = server
    shot = artifacts() / "dashboard.png"
    shot.unlink(missing_ok=True)
    chromium(
        tmp_path / "profile",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}",
        "--virtual-time-budget=5000",
        f"{base}/dashboard?at={AT}",
    )
    width, height, bpp, rows = read_png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    counts = colour_counts(rows, bpp, COLOURS)
    # The map is mostly green micro-grids with a few orange (vacant) ones; the chart's bars are
    # green (no gaps) or orange; the legend shows every colour.
    assert counts["green"] > 100_000, counts
    assert counts["orange"] > 5_000, counts
    for name in ("red", "yellow", "grey"):
        assert counts[name] >= 100, counts


def test_page_timing_and_errors(server: tuple[str, Path]) -> None:
    base, _ = server
    r = httpx.get(f"{base}/dashboard", params={"at": AT}, timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    timing = dict(re.findall(r"(\w+);dur=([\d.]+)", r.headers["server-timing"]))
    assert float(timing["gather"]) + float(timing["render"]) < 5000, timing
    assert httpx.get(f"{base}/dashboard", params={"scope": "999999999999"}).status_code == 404
    assert httpx.get(f"{base}/dashboard", params={"at": "2026-13-01"}).status_code == 400
    assert httpx.get(f"{base}/dashboard/place/nowhere").status_code == 404
    css = httpx.get(f"{base}/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{base}/dashboard/static/..%2Fapp.py").status_code == 404


# --- in process, on the sample store -------------------------------------------------------------


def test_dashboard_of_the_sample_store_in_process() -> None:
    client = TestClient(create_app(sample_store()))
    r = client.get("/dashboard", params={"at": SAMPLE_TODAY.isoformat()})
    assert r.status_code == 200, r.text
    dom = parse(r.text)
    assert dom.one(data_scope=True).attrs["data-scope"] == "451225000000"
    figures = {
        n.attrs["data-figure"]: n.attrs["data-value"] for n in dom.find_all(data_figure=True)
    }
    assert (figures["total"], figures["missing"], figures["vacant"]) == ("3", "1", "1")
    assert len(dom.find_all("tr", data_gap=True)) == 2
    assert external_urls(r.text, "http://testserver") == []
    place = client.get("/dashboard/place/451225100201", params={"at": SAMPLE_TODAY.isoformat()})
    assert place.status_code == 200
    seats = {
        n.attrs["data-role"]: n.attrs["data-status"]
        for n in parse(place.text).find_all("tr", data_role=True)
    }
    assert seats == {
        "governance_officer": "missing",
        "law_literate": "vacant",
        "police_assistant": "filled",
    }

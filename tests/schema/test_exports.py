"""Downloads at /exports/coverage.{csv,xlsx,json}, and the GraphQL exportUrl pointing at them."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import openpyxl
import orjson
import pytest
from fastapi.testclient import TestClient

from loaders.demo import DEMO_COUNTY, DEMO_TODAY, load_demo
from registry.queries.coverage import coverage_report
from registry.store import GraphStore, open_store
from registry.testing import SAMPLE_TODAY, CountingStore, sample_records
from schema.app import create_app
from schema.coverage_export import CONTENT_TYPES, export_coverage
from schema.exports import content_disposition, coverage_export_url
from tests.schema.conftest import Gql

SAMPLE_COUNTY = "451225000000"
SAMPLE_QUERY = f"scope={SAMPLE_COUNTY}&at={SAMPLE_TODAY.isoformat()}"


def _filename(response: httpx.Response) -> str:
    """The RFC 5987 ``filename*`` of the response's Content-Disposition, decoded."""
    header = response.headers["content-disposition"]
    assert header.startswith("attachment;")
    star = next(p.strip() for p in header.split(";") if p.strip().startswith("filename*="))
    charset, _, encoded = star.removeprefix("filename*=").partition("''")
    assert charset == "UTF-8"
    return unquote(encoded, encoding="utf-8")


# --- every backend's sample store -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_download_each_format(client: TestClient, fmt: str) -> None:
    r = client.get(f"/exports/coverage.{fmt}?{SAMPLE_QUERY}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == CONTENT_TYPES[fmt]
    assert _filename(r) == f"coverage-{SAMPLE_COUNTY}-2026-11-01.{fmt}"
    assert (
        f'filename="coverage-{SAMPLE_COUNTY}-2026-11-01.{fmt}"' in r.headers["content-disposition"]
    )
    if fmt == "csv":
        assert r.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:2] == ["区划代码/网格编码", "名称"]
        assert [(row[0], row[8], row[13]) for row in rows[1:]] == [
            ("451225100201", "governance_officer", "缺岗"),
            ("451225100201", "law_literate", "空缺"),
        ]
    elif fmt == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["缺口", "汇总", "未覆盖"]
        assert wb["缺口"].max_row == 3
        assert [c.value for c in wb["未覆盖"]["A"]][1:] == ["451225100201-002"]
    else:
        body = orjson.loads(r.content)
        assert body["scope"]["name"] == "罗城仫佬族自治县"
        assert [g["status"] for g in body["gaps"]] == ["missing", "vacant"]


def test_template_and_expiring_days_reach_the_report(client: TestClient) -> None:
    r = client.get(f"/exports/coverage.json?{SAMPLE_QUERY}&template=sample-village&expiring_days=0")
    assert r.status_code == 200, r.text
    body = orjson.loads(r.content)
    assert body["templates"] == ["sample-village"] and body["expiring_days"] == 0


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        (f"/exports/coverage.xlsx?scope=451225999000&at={SAMPLE_TODAY}", 404, "NOT_FOUND"),
        (f"/exports/coverage.csv?{SAMPLE_QUERY}&template=no-such-standard", 404, "NOT_FOUND"),
        (f"/exports/coverage.csv?scope={SAMPLE_COUNTY}&at=2026-13-01", 400, "INVALID_INPUT"),
        (f"/exports/coverage.csv?scope={SAMPLE_COUNTY}&at=yesterday", 400, "INVALID_INPUT"),
        (f"/exports/coverage.pdf?{SAMPLE_QUERY}", 400, "INVALID_INPUT"),
        ("/exports/coverage.json", 400, "INVALID_INPUT"),
        (f"/exports/coverage.json?{SAMPLE_QUERY}&expiring_days=-1", 400, "INVALID_INPUT"),
        (f"/exports/coverage.json?{SAMPLE_QUERY}&territory=maybe", 400, "INVALID_INPUT"),
    ],
)
def test_errors_are_coded_json(client: TestClient, url: str, status: int, code: str) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    assert error["code"] == code and error["message"]
    assert "content-disposition" not in r.headers


def test_export_url_is_encoded_and_downloads_the_report(client: TestClient, gql: Gql) -> None:
    body = gql(
        """query($at: Date!) { coverage(scope: "451225000000", at: $at, expiringDays: 30) {
             xlsx: exportUrl csv: exportUrl(format: CSV) json: exportUrl(format: JSON) } }""",
        at=SAMPLE_TODAY.isoformat(),
    )
    urls = body["data"]["coverage"]
    assert urls["xlsx"].startswith("/exports/coverage.xlsx?")
    assert urls["csv"].startswith("/exports/coverage.csv?")
    query = parse_qs(urlsplit(urls["json"]).query)
    assert query == {
        "scope": [SAMPLE_COUNTY],
        "template": ["sample-village"],  # the report's only template
        "at": ["2026-11-01"],
        "expiring_days": ["30"],
    }
    r = client.get(urls["json"])
    assert r.status_code == 200
    assert orjson.loads(r.content)["expiring_days"] == 30


def test_content_disposition_is_safe_for_chinese_names() -> None:
    header = content_disposition('罗城 "缺口";.csv')
    fallback = header.split(";")[1].strip()
    assert fallback.isascii() and fallback == 'filename="__ _____.csv"'
    star = header.split("filename*=UTF-8''")[1]
    assert star.isascii() and " " not in star and ";" not in star
    assert unquote(star) == '罗城 "缺口";.csv'
    url = coverage_export_url("451225100201-001", SAMPLE_TODAY, "json", template="村级 标准&7")
    assert parse_qs(urlsplit(url).query)["template"] == ["村级 标准&7"]


# --- the demo county --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Iterator[GraphStore]:
    store = open_store("memory://")
    load_demo(store)
    yield store
    store.close()


@pytest.mark.parametrize("fmt", ["XLSX", "CSV", "JSON"])
def test_demo_export_url_downloads_the_same_bytes_as_the_export(demo: GraphStore, fmt: str) -> None:
    client = TestClient(create_app(demo))
    query = f"""{{ coverage(scope: "{DEMO_COUNTY}", at: "{DEMO_TODAY}") {{
                   exportUrl(format: {fmt}) gaps(first: 1) {{ totalCount }} }} }}"""
    r = client.post("/graphql", json={"query": query})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    url = r.json()["data"]["coverage"]["exportUrl"]
    assert "template" not in url  # the demo has two templates: the report is of all of them
    downloaded = client.get(url)
    assert downloaded.status_code == 200, downloaded.text
    report = coverage_report(demo, DEMO_COUNTY, at=DEMO_TODAY)
    assert downloaded.content == export_coverage(report, demo, fmt.lower())
    assert _filename(downloaded) == f"coverage-{DEMO_COUNTY}-2026-11-01.{fmt.lower()}"


def test_demo_territory_download(demo: GraphStore) -> None:
    client = TestClient(create_app(demo))
    r = client.get(f"/exports/coverage.xlsx?scope={DEMO_COUNTY}&at={DEMO_TODAY}&territory=1")
    assert r.status_code == 200, r.text
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["缺口", "汇总", "未覆盖", "网格问题"]
    assert wb["缺口"].max_row == 1 + 16


# --- a remote store ---------------------------------------------------------------------------


class _RendezvousStore(CountingStore):
    """A remote-looking store whose first read in each thread waits for ``parties`` threads.

    Were the export computed on the event loop, the first request would hold the loop while it
    waits, the second could never arrive, and the barrier would break.
    """

    remote = True

    def __init__(self, inner: GraphStore, parties: int) -> None:
        super().__init__(inner)
        self.barrier = threading.Barrier(parties, timeout=20)
        self.local = threading.local()

    def get(self, kind: type[Any], key: str) -> Any:
        if not getattr(self.local, "met", False):
            self.local.met = True
            self.barrier.wait()
        return super().get(kind, key)

    def get_many(self, kind: type[Any], keys: Sequence[str]) -> list[Any]:
        return [self.get(kind, k) for k in keys]


def test_remote_store_exports_run_off_the_event_loop() -> None:
    inner = open_store("memory://")
    inner.apply(sample_records())
    store = _RendezvousStore(inner, 2)
    app = create_app(store)

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            found = await asyncio.gather(
                c.get(f"/exports/coverage.csv?{SAMPLE_QUERY}"),
                c.get(f"/exports/coverage.json?{SAMPLE_QUERY}"),
            )
            return list(found)

    responses = asyncio.run(fetch())
    assert [r.status_code for r in responses] == [200, 200]
    assert not store.barrier.broken
    assert responses[0].content == export_coverage(
        coverage_report(inner, SAMPLE_COUNTY, at=SAMPLE_TODAY), inner, "csv"
    )

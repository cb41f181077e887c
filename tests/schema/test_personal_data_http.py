"""Personal data over real HTTP (``gridreg serve`` under uvicorn): ``/graphql``, ``/dashboard``
and ``/exports`` resolve the caller the same way (API token, anonymous) and show a person's
phone number the same way: in full to routers, editors and admins, masked (``138****1234``) to
viewers and anonymous callers; the coverage exports carry no phone number at all. With
anonymous access off, every one of them refuses a request without a credential (401)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.auth import create_token
from registry.store import open_store
from tests.serving import served_demo

pytestmark = pytest.mark.slow

PERSON = "P000001"  # holds the seat 警务助理 of the township 451225100001 in the demo
PLACE = "451225100001"
PHONE, MASKED = "13812345678", "138****5678"
DAY = "2026-11-01"
EXPORTS = [f"/exports/coverage.{fmt}?scope=451225000000&at={DAY}" for fmt in ("csv", "json")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo served on SQLite, with one token per role; the person's phone set by an admin."""
    db = tmp_path_factory.mktemp("personal") / "gridreg.db"
    with open_store(f"sqlite:///{db}") as store:
        tokens = {
            role: create_token(store, role, role)[0] for role in ("viewer", "router", "admin")
        }
    with served_demo(f"sqlite:///{db}", db.with_suffix(".log")) as base:
        mutation = (
            f'mutation {{ updatePerson(id: "{PERSON}", patch: {{phone: "{PHONE}"}}) {{ id }} }}'
        )
        r = httpx.post(f"{base}/graphql", json={"query": mutation}, headers=_auth(tokens["admin"]))
        assert r.status_code == 200 and "errors" not in r.json(), r.text
        yield base, tokens
    assert "Traceback" not in db.with_suffix(".log").read_text()


def _auth(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def _graphql_phone(base: str, token: str | None) -> str:
    query = f'{{ person(id: "{PERSON}") {{ phone }} }}'
    r = httpx.post(f"{base}/graphql", json={"query": query}, headers=_auth(token), timeout=60)
    assert r.status_code == 200, r.text
    phone: str = r.json()["data"]["person"]["phone"]
    return phone


def _dashboard(base: str, token: str | None) -> str:
    r = httpx.get(f"{base}/dashboard/place/{PLACE}?at={DAY}", headers=_auth(token), timeout=60)
    assert r.status_code == 200, r.text
    return r.text


@pytest.mark.parametrize(
    ("who", "shown"),
    [("anonymous", MASKED), ("viewer", MASKED), ("router", PHONE), ("admin", PHONE)],
)
def test_graphql_and_dashboard_mask_alike(
    served: tuple[str, dict[str, str]], who: str, shown: str
) -> None:
    base, tokens = served
    token = tokens.get(who)
    assert _graphql_phone(base, token) == shown
    page = _dashboard(base, token)
    assert shown in page
    if shown == MASKED:
        assert PHONE not in page


@pytest.mark.parametrize("who", ["anonymous", "viewer", "admin"])
def test_exports_carry_no_phone_number(served: tuple[str, dict[str, str]], who: str) -> None:
    base, tokens = served
    for path in EXPORTS:
        r = httpx.get(f"{base}{path}", headers=_auth(tokens.get(who)), timeout=120)
        assert r.status_code == 200, r.text
        assert PHONE not in r.text and MASKED not in r.text and PHONE[-4:] not in r.text


def test_a_revoked_or_unknown_token_is_refused_everywhere(
    served: tuple[str, dict[str, str]],
) -> None:
    base, _ = served
    bad = _auth("grt_ffffffffffff_nope")
    for path in ["/dashboard", f"/dashboard/place/{PLACE}", *EXPORTS]:
        r = httpx.get(f"{base}{path}", headers=bad, timeout=60)
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == (
            "UNAUTHENTICATED"
        )
    r = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, headers=bad)
    assert r.status_code == 401


def test_without_anonymous_access_a_credential_is_needed_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDREG_ANONYMOUS", "none")
    db = tmp_path / "closed.db"
    with open_store(f"sqlite:///{db}") as store:
        viewer = create_token(store, "viewer", "viewer")[0]
    with served_demo(f"sqlite:///{db}", tmp_path / "closed.log") as base:
        for path in ["/dashboard", f"/dashboard/place/{PLACE}?at={DAY}", *EXPORTS]:
            assert httpx.get(f"{base}{path}", timeout=120).status_code == 401
            assert httpx.get(f"{base}{path}", headers=_auth(viewer), timeout=120).status_code == 200
        query = {"query": f'{{ person(id: "{PERSON}") {{ name }} }}'}
        assert httpx.post(f"{base}/graphql", json=query).status_code == 401
        assert httpx.post(f"{base}/graphql", json=query, headers=_auth(viewer)).status_code == 200

"""The Popolo JSON export: counts, resolving references, vacancies, contacts, ``at``, bytes, CLI."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gridreg_cli import app
from loaders.demo import DEMO_COUNTY, DEMO_TODAY, demo_gaps, load_demo
from loaders.popolo import ARRAYS, DIVISION_SCHEME, export_popolo, popolo_bytes, write_popolo
from registry.errors import InvalidInput
from registry.model import (
    Alliance,
    Grid,
    Holding,
    Membership,
    Organization,
    Person,
    Place,
    Post,
)
from registry.store import GraphStore, open_store
from registry.testing import SAMPLE_TODAY, sample_store, square

Doc = dict[str, Any]

VILLAGE = "451225100201"
MICRO_GRID = "G451225-001-01-01"


@pytest.fixture(scope="module")
def demo() -> Iterator[GraphStore]:
    store = open_store("memory://")
    load_demo(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def sample() -> GraphStore:
    return sample_store()


def _stores(demo: GraphStore, sample: GraphStore) -> list[tuple[GraphStore, date]]:
    return [(demo, DEMO_TODAY), (sample, SAMPLE_TODAY)]


def _ids(doc: Doc, array: str) -> set[str]:
    return {o["id"] for o in doc[array]}


def _by_id(doc: Doc, array: str) -> dict[str, Doc]:
    return {o["id"]: o for o in doc[array]}


# --- counts and references ----------------------------------------------------------------


def test_counts_equal_the_store(demo: GraphStore, sample: GraphStore) -> None:
    for store, _ in _stores(demo, sample):
        doc = export_popolo(store)
        assert sorted(k for k in doc if isinstance(doc[k], list)) == sorted(ARRAYS)
        assert len(doc["persons"]) == store.count(Person)
        assert len(doc["posts"]) == store.count(Post)
        assert len(doc["memberships"]) == store.count(Holding)
        assert len(doc["areas"]) == store.count(Place) + store.count(Grid)
        assert len(doc["organizations"]) == store.count(Organization) + store.count(Alliance)
        for array in ARRAYS:
            ids = [o["id"] for o in doc[array]]
            assert ids == sorted(set(ids)), f"{array}: ids unique and sorted"


def _references(doc: Doc) -> list[tuple[str, str, str, str]]:
    """(array, object id, field, target array) for every reference in the document."""
    found: list[tuple[str, str, str, str]] = []
    targets = {
        "person_id": "persons",
        "post_id": "posts",
        "organization_id": "organizations",
        "area_id": "areas",
        "gridreg:county": "areas",
    }
    for array in ARRAYS:
        for obj in doc[array]:
            for name, target in targets.items():
                if name in obj:
                    found.append((obj[name], obj["id"], name, target))
            if "parent_id" in obj:
                found.append((obj["parent_id"], obj["id"], "parent_id", array))
            for item in obj.get("gridreg:covers", []) + obj.get("gridreg:members", []):
                found.append((item["area_id"], obj["id"], "area_id", "areas"))
    return found


def test_every_reference_resolves(demo: GraphStore, sample: GraphStore) -> None:
    for store, today in _stores(demo, sample):
        for doc in (export_popolo(store), export_popolo(store, today, geometry=True)):
            ids = {array: _ids(doc, array) for array in ARRAYS}
            refs = _references(doc)
            assert len(refs) > 3 * len(doc["memberships"])
            dangling = [r for r in refs if r[0] not in ids[r[3]]]
            assert not dangling, dangling[:5]


def test_posts_memberships_and_areas_carry_the_registry(demo: GraphStore) -> None:
    doc = export_popolo(demo)
    posts, areas, orgs = _by_id(doc, "posts"), _by_id(doc, "areas"), _by_id(doc, "organizations")
    # A grid seat belongs to the village centre of the village the micro-grid lies in.
    seat = posts["G451225-001-01-01-grid_worker"]
    assert seat["area_id"] == "G451225-001-01-01"
    assert seat["organization_id"] == "451225100001-centre"
    assert (seat["role"], seat["label"]) == ("grid_worker", "网格员")
    # A seat at a township without a centre has no organization; a centre seat has its centre.
    bare = demo_gaps().township_without_centre
    assert all("organization_id" not in p for p in posts.values() if p["area_id"] == bare)
    director = posts["451225-centre-centre_director"]
    assert (director["organization_id"], director["area_id"]) == ("451225-centre", DEMO_COUNTY)
    # Memberships copy the post's organization, area and role.
    for m in doc["memberships"]:
        post = posts[m["post_id"]]
        assert m["role"] == post["role"]
        assert m.get("organization_id") == post.get("organization_id")
        assert m.get("area_id") == post.get("area_id")
    # Areas: places with GB/T 2260 identifiers (not for invented village codes), grids by tier.
    county = areas[DEMO_COUNTY]
    assert county["classification"] == "county"
    assert county["identifiers"] == [{"scheme": DIVISION_SCHEME, "identifier": DEMO_COUNTY}]
    assert "identifiers" not in areas["451225100001"]
    assert areas["451225100001"]["gridreg:synthetic"] is True
    grid = areas["G451225-001-01-01"]
    assert grid["classification"] == "grid-tier-3"
    assert grid["parent_id"] == "G451225-001-01"
    assert [c["area_id"] for c in grid["gridreg:covers"]] == ["451225100001-001"]
    assert "parent_id" not in areas["G451225-001"]
    # The alliance is an organization listing its member counties with their scopes.
    pact = orgs["luoping-pact"]
    assert pact["classification"] == "alliance"
    members = {m["area_id"]: m["scope"] for m in pact["gridreg:members"]}
    assert len(members) == demo.count(Membership) and members[DEMO_COUNTY] == "演示县"
    assert orgs["451225-centre"]["classification"] == "centre"


def test_sample_grid_seat_falls_to_the_nearest_centre_above(sample: GraphStore) -> None:
    doc = export_popolo(sample, SAMPLE_TODAY)
    posts = _by_id(doc, "posts")
    # The hamlet and the village have no centre: the township's centre is the nearest.
    assert posts[f"{MICRO_GRID}-grid_worker"]["organization_id"] == "451225100-centre"
    # A seat at a place takes only that place's own centre.
    assert "organization_id" not in posts[f"{VILLAGE}-police_assistant"]


# --- vacancies, names, contacts -----------------------------------------------------------


def test_vacant_post_present_without_membership(demo: GraphStore, sample: GraphStore) -> None:
    cases = [(sample, SAMPLE_TODAY, [f"{VILLAGE}-law_literate"])]
    cases.append((demo, DEMO_TODAY, list(demo_gaps().vacant_posts)))
    for store, today, vacant in cases:
        for doc in (export_popolo(store), export_popolo(store, today)):
            held = {m["post_id"] for m in doc["memberships"]}
            posts = _ids(doc, "posts")
            for post in vacant:
                assert post in posts and post not in held


def test_chinese_names_intact(demo: GraphStore) -> None:
    data = popolo_bytes(export_popolo(demo))
    assert "罗城仫佬族自治县".encode() in data and b"\\u" not in data
    doc = orjson.loads(data)
    persons = _by_id(doc, "persons")
    for person in demo.scan(Person):
        assert persons[person.id]["name"] == person.name
    assert (
        _by_id(doc, "organizations")["luoping-pact"]["name"] == "滇黔桂三省（区）毗邻县跨域治理盟约"
    )


def test_without_contacts_has_no_phone_numbers(demo: GraphStore) -> None:
    person = demo.get(Person, "P000001")
    org_phone = next(o.phone for o in demo.scan(Organization) if o.phone)
    assert person is not None and person.phone
    full = popolo_bytes(export_popolo(demo))
    assert person.phone.encode() in full and org_phone.encode() in full
    entry = _by_id(orjson.loads(full), "persons")["P000001"]["contact_details"]
    assert entry == [{"type": "cell", "value": person.phone}]
    bare = popolo_bytes(export_popolo(demo, contacts=False))
    assert person.phone.encode() not in bare and org_phone.encode() not in bare
    assert b"contact_details" not in bare
    phones = [p.phone for p in demo.scan(Person) if p.phone]
    assert len(phones) > 1000 and not any(p.encode() in bare for p in phones[:200])


# --- at, geometry, determinism ------------------------------------------------------------


def test_at_drops_an_ended_holding(demo: GraphStore) -> None:
    ended = [h for h in demo.scan(Holding) if h.valid_to is not None and h.valid_to < DEMO_TODAY]
    assert ended
    full = _by_id(export_popolo(demo), "memberships")
    now = export_popolo(demo, DEMO_TODAY)
    assert now["gridreg:at"] == DEMO_TODAY.isoformat()
    current = _by_id(now, "memberships")
    for h in ended:
        assert h.valid_to is not None
        assert full[h.id]["end_date"] == h.valid_to.isoformat()
        assert h.id not in current
    assert len(current) == len(full) - len(ended)
    # An expired seat stays (the seat exists) but has no member on the day.
    expired = demo_gaps().expired_posts[0]
    assert expired in _ids(now, "posts")
    assert all(m["post_id"] != expired for m in current.values())


def test_at_filters_every_kind() -> None:
    store = sample_store()
    ended = date(2025, 6, 30)
    store.apply(
        [
            Grid(code="G451225-002", name="旧网格", tier=1, county="451225000000", valid_to=ended),
            Person(id="P000009", name="旧人", valid_to=ended),
            Post(id="S-old", role="grid_worker", grid="G451225-002", valid_to=ended),
            Holding(id="H000009", person="P000009", post="S-old", valid_to=ended),
        ]
    )
    old = export_popolo(store, ended)
    assert {"G451225-002", "P000009", "S-old", "H000009"} <= set().union(
        *(_ids(old, a) for a in ARRAYS)
    )
    now = export_popolo(store, SAMPLE_TODAY)
    assert not {"G451225-002", "P000009", "S-old", "H000009"} & set().union(
        *(_ids(now, a) for a in ARRAYS)
    )
    assert _by_id(export_popolo(store), "areas")["G451225-002"]["gridreg:valid_to"] == "2025-06-30"


def test_geometry_only_on_request_and_in_force_at_the_day() -> None:
    store = sample_store()
    store.apply(
        [
            square("B-old", 108, 24, 108.1, 24.1, grid=MICRO_GRID, valid_to=date(2025, 12, 31)),
            square("B-new", 108, 24, 108.2, 24.2, grid=MICRO_GRID, valid_from=date(2026, 1, 1)),
            square("B-village", 108, 24, 109, 25, place=VILLAGE),
        ]
    )
    assert b'"geometry"' not in popolo_bytes(export_popolo(store))

    def ring(doc: Doc) -> Any:
        return _by_id(doc, "areas")[MICRO_GRID]["geometry"]["coordinates"][0][2]

    assert ring(export_popolo(store, date(2025, 1, 1), geometry=True)) == [108.1, 24.1]
    assert ring(export_popolo(store, SAMPLE_TODAY, geometry=True)) == [108.2, 24.2]
    assert ring(export_popolo(store, geometry=True)) == [108.2, 24.2]  # the latest
    village = _by_id(export_popolo(store, geometry=True), "areas")[VILLAGE]["geometry"]
    assert village["type"] == "Polygon"


def test_deterministic_bytes(demo: GraphStore) -> None:
    first = popolo_bytes(export_popolo(demo, DEMO_TODAY, geometry=True))
    assert first == popolo_bytes(export_popolo(demo, DEMO_TODAY, geometry=True))
    assert first.endswith(b"}\n") and first.startswith(b'{\n  "areas": [\n')


def test_same_bytes_on_every_backend(store: GraphStore) -> None:
    expected = popolo_bytes(export_popolo(sample_store(), geometry=True))
    assert popolo_bytes(export_popolo(store, geometry=True)) == expected


def test_ids_must_be_unique_within_an_array() -> None:
    store = sample_store()
    store.apply([Grid(code=VILLAGE, name="同码网格", tier=1, county="451225000000")])
    with pytest.raises(InvalidInput, match=VILLAGE):
        export_popolo(store)
    store = sample_store()
    store.apply([Alliance(code="451225-centre", name="同名盟约")])
    with pytest.raises(InvalidInput, match="451225-centre"):
        export_popolo(store)


# --- shape ----------------------------------------------------------------------------------

DATE = {"type": "string", "pattern": r"^[0-9]{4}(-[0-9]{2}){0,2}$"}
TEXT = {"type": "string", "minLength": 1}
CONTACTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["type", "value"],
        "properties": {"type": {"enum": ["cell", "voice"]}, "value": TEXT},
    },
}
#: A hand-written subset of the Popolo schemas (popoloproject.com/schemas), stricter on what
#: this export promises: required keys, strings, dates, contact details, identifiers.
POPOLO_SUBSET: Doc = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": list(ARRAYS),
    "properties": {
        "persons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": TEXT, "name": TEXT, "contact_details": CONTACTS},
            },
        },
        "organizations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "classification"],
                "properties": {
                    "id": TEXT,
                    "name": TEXT,
                    "classification": TEXT,
                    "parent_id": TEXT,
                    "area_id": TEXT,
                    "founding_date": DATE,
                    "dissolution_date": DATE,
                    "contact_details": CONTACTS,
                },
            },
        },
        "posts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "label", "role"],
                "properties": {
                    "id": TEXT,
                    "label": TEXT,
                    "role": TEXT,
                    "organization_id": TEXT,
                    "area_id": TEXT,
                    "start_date": DATE,
                    "end_date": DATE,
                },
            },
        },
        "memberships": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "person_id", "post_id", "role"],
                "properties": {
                    "id": TEXT,
                    "person_id": TEXT,
                    "post_id": TEXT,
                    "organization_id": TEXT,
                    "area_id": TEXT,
                    "role": TEXT,
                    "label": TEXT,
                    "start_date": DATE,
                    "end_date": DATE,
                },
            },
        },
        "areas": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "classification"],
                "properties": {
                    "id": TEXT,
                    "name": TEXT,
                    "classification": TEXT,
                    "parent_id": TEXT,
                    "geometry": {
                        "type": "object",
                        "required": ["type", "coordinates"],
                        "properties": {"type": {"enum": ["Polygon", "MultiPolygon"]}},
                    },
                    "identifiers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["scheme", "identifier"],
                            "properties": {"scheme": TEXT, "identifier": TEXT},
                        },
                    },
                },
            },
        },
    },
}


def test_required_keys_per_object_type(demo: GraphStore, sample: GraphStore) -> None:
    """The schema's required keys, checked by hand (works without ``jsonschema``)."""
    for store, today in _stores(demo, sample):
        doc = export_popolo(store, today)
        for array in ARRAYS:
            spec = POPOLO_SUBSET["properties"][array]["items"]
            for obj in doc[array]:
                missing = [k for k in spec["required"] if not obj.get(k)]
                assert not missing, (array, obj["id"], missing)
                assert None not in obj.values()


@pytest.mark.skipif(importlib.util.find_spec("jsonschema") is None, reason="needs jsonschema")
def test_document_matches_a_popolo_schema_subset(demo: GraphStore, sample: GraphStore) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(POPOLO_SUBSET)
    for store, today in _stores(demo, sample):
        for doc in (export_popolo(store), export_popolo(store, today, geometry=True)):
            errors = [e.message for e in validator.iter_errors(doc)]
            assert not errors, errors[:5]


# --- command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_cli_export_popolo(tmp_path: Path, demo: GraphStore) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["demo", "--store", url]).exit_code == 0
    target = tmp_path / "out" / "luocheng.popolo.json"
    args = ["export", str(target), "--store", url, "--format", "popolo"]
    result = runner.invoke(app, [*args, "--at", DEMO_TODAY.isoformat(), "--without-contacts"])
    assert result.exit_code == 0, result.output
    assert "memberships" in result.output
    data = target.read_bytes()
    assert data == popolo_bytes(export_popolo(demo, DEMO_TODAY, contacts=False))
    assert b"contact_details" not in data
    geo = tmp_path / "geo.json"
    result = runner.invoke(
        app, ["export", str(geo), "--store", url, "-f", "popolo", "--with-geometry"]
    )
    assert result.exit_code == 0, result.output
    assert geo.read_bytes() == popolo_bytes(export_popolo(demo, geometry=True))
    assert write_popolo(demo, tmp_path / "direct.json")["persons"] == demo.count(Person)


@pytest.mark.parametrize(
    "extra",
    [["--format", "xml"], ["--at", "2026-11-01"], ["-f", "popolo", "--at", "2026-13-01"]],
)
def test_cli_export_refuses_bad_options(tmp_path: Path, extra: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["export", str(tmp_path / "out"), "--store", url, *extra])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()

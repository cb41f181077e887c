"""Authentication and write scopes in the data-facing layer (``registry.auth``), on every store:
API tokens stored hashed in the store, JWTs, and an editor's scope checked inside the write
(before and after the change), refusing the whole write and leaving the store untouched."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from registry.auth import (
    ANONYMOUS,
    AccessRole,
    Authenticator,
    JwtVerifier,
    Principal,
    check_write,
    create_token,
    mask_phone,
    mask_row,
    parse_token,
    read_scope,
    write_guard,
)
from registry.codes import Level
from registry.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from registry.model import (
    KINDS,
    AnyRecord,
    Grid,
    Holding,
    Person,
    Place,
    Post,
    Role,
    RoleTemplate,
)
from registry.store import GraphStore
from registry.store.base import TokenRecord
from registry.testing import COUNTY, TOWN, VILLAGE

OTHER = "451226000000"
NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def snapshot(store: GraphStore) -> dict[str, Any]:
    """Everything a store holds: every record, the audit trail and the tokens."""
    records = {kind: list(store.scan(cls)) for kind, cls in KINDS.items()}
    return {
        "records": records,
        "audit": store.audit_log(limit=10_000),
        "tokens": store.list_tokens(),
    }


def with_other_county(store: GraphStore) -> None:
    store.apply(
        [
            Place(code=OTHER, name="环江毛南族自治县", level=Level.COUNTY, parent="451200000000"),
            Grid(code="G451226-001", name="环江一级网格", tier=1, county=OTHER),
            Post(id="S-OTHER", role="grid_worker", place=OTHER, label="网格员"),
        ],
        actor="setup",
    )


def editor(scope: str | None = COUNTY) -> Principal:
    return Principal("韦编辑", AccessRole.EDITOR, scope)


def refused(store: GraphStore, principal: Principal, records: list[AnyRecord]) -> Forbidden:
    """Apply ``records`` as ``principal``: it must be refused and change nothing."""
    before = snapshot(store)
    with pytest.raises(Forbidden) as caught:
        store.apply(records, actor=principal.actor, guard=write_guard(principal))
    assert caught.value.code == "FORBIDDEN"
    assert snapshot(store) == before
    return caught.value


def written(store: GraphStore, principal: Principal, records: list[AnyRecord]) -> None:
    n = len(store.audit_log(limit=10_000))
    store.apply(records, actor=principal.actor, guard=write_guard(principal))
    log = store.audit_log(limit=10_000)
    assert len(log) == n + 1 and log[0].actor == principal.actor


# --- token storage -----------------------------------------------------------------------------


def test_tokens_round_trip_on_every_store(empty_store: GraphStore) -> None:
    assert empty_store.list_tokens() == [] and empty_store.get_token("nope") is None
    version = empty_store.data_version()
    a = TokenRecord("a1", "甲", "editor", COUNTY, "00" * 32, NOW, NOW + timedelta(days=1))
    b = TokenRecord("b2", "乙", "viewer", None, "11" * 32, NOW + timedelta(seconds=1))
    empty_store.put_token(b)
    empty_store.put_token(a)
    assert empty_store.get_token("a1") == a
    assert empty_store.list_tokens() == [a, b]
    assert empty_store.revoke_token("a1", NOW + timedelta(hours=1))
    assert not empty_store.revoke_token("a1", NOW + timedelta(hours=2))  # the first time stays
    assert not empty_store.revoke_token("zz", NOW)
    assert empty_store.get_token("a1") == dataclasses.replace(
        a, revoked_at=NOW + timedelta(hours=1)
    )
    # each change is audited (the failed revocations are not), never with the secret's hash
    log = empty_store.audit_log()
    assert [(e.operation, e.actor, e.count) for e in log] == [
        ("token_revoke", "system", 1),
        ("token_create", "system", 1),
        ("token_create", "system", 1),
    ]
    assert [c["key"] for e in log for c in e.changes] == ["a1", "a1", "b2"]
    revoke = log[0].changes[0]
    assert revoke["before"]["revoked_at"] is None
    assert revoke["after"] == {
        "id": "a1",
        "name": "甲",
        "role": "editor",
        "scope": COUNTY,
        "created_at": NOW.isoformat(),
        "expires_at": (NOW + timedelta(days=1)).isoformat(),
        "revoked_at": (NOW + timedelta(hours=1)).isoformat(),
    }
    assert "00" * 32 not in repr(log) and "11" * 32 not in repr(log)
    assert empty_store.data_version() >= version
    empty_store.put_token(dataclasses.replace(b, role="router"), actor="管理员", reason="升级")
    (update, *_) = empty_store.audit_log()
    assert (update.operation, update.actor, update.reason) == ("token_update", "管理员", "升级")
    assert update.changes[0]["before"]["role"] == "viewer"
    assert update.changes[0]["after"]["role"] == "router"


def test_tokens_survive_reopening(reopen: Any) -> None:
    store = reopen()
    text, token = create_token(store, "甲", AccessRole.VIEWER, now=NOW)
    store.close()
    again = reopen()
    assert again.get_token(token.id) == token
    principal = Authenticator().authenticate(again, f"Bearer {text}", now=NOW)
    assert principal == Principal("甲", AccessRole.VIEWER)


def test_token_text_and_hash(store: GraphStore) -> None:
    text, token = create_token(store, "韦编辑", "editor", scope=COUNTY, now=NOW)
    token_id, secret = parse_token(text) or ("", "")
    assert token_id == token.id and len(secret) >= 40 and "_" not in token_id
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(store.list_tokens())  # only the hash is kept
    assert Authenticator().authenticate(store, f"Bearer {text}", now=NOW) == editor()


def test_create_token_refusals(store: GraphStore) -> None:
    create_token(store, "甲", AccessRole.VIEWER, now=NOW)
    with pytest.raises(InvalidInput, match="live token"):
        create_token(store, "甲", AccessRole.ADMIN, now=NOW)
    with pytest.raises(InvalidInput, match="role"):
        create_token(store, "乙", "superuser", now=NOW)
    with pytest.raises(NotFound):
        create_token(store, "丙", AccessRole.EDITOR, scope="459999000000", now=NOW)
    with pytest.raises(InvalidInput):
        create_token(store, "  ", AccessRole.VIEWER, now=NOW)
    with pytest.raises(InvalidInput):
        create_token(store, "丁", AccessRole.VIEWER, expires_at=NOW, now=NOW)


def test_unknown_revoked_expired_and_malformed_tokens_are_refused(store: GraphStore) -> None:
    auth = Authenticator()
    text, token = create_token(store, "甲", "router", expires_at=NOW + timedelta(days=1), now=NOW)
    assert auth.authenticate(store, f"Bearer {text}", now=NOW).role is AccessRole.ROUTER
    token_id, secret = parse_token(text) or ("", "")
    bad = [
        f"Bearer grt_{token_id}_{secret}x",  # wrong secret
        f"Bearer grt_ffffffffffff_{secret}",  # unknown id
        "Bearer grt_",  # malformed
        "Bearer not-a-token",  # not a token, and JWTs are not configured
        f"Basic {text}",  # not a bearer credential
        "Bearer",
    ]
    for header in bad:
        with pytest.raises(Unauthenticated) as caught:
            auth.authenticate(store, header, now=NOW)
        assert caught.value.code == "UNAUTHENTICATED" and secret not in caught.value.message
    with pytest.raises(Unauthenticated):
        auth.authenticate(store, f"Bearer {text}", now=NOW + timedelta(days=2))  # expired
    assert store.revoke_token(token.id, NOW)
    with pytest.raises(Unauthenticated):
        auth.authenticate(store, f"Bearer {text}", now=NOW)  # revoked


def test_anonymous_access(store: GraphStore) -> None:
    assert Authenticator().authenticate(store, None) == ANONYMOUS
    assert ANONYMOUS.role is AccessRole.VIEWER and not ANONYMOUS.sees_personal_data
    with pytest.raises(Unauthenticated):
        Authenticator(anonymous=None).authenticate(store, None)
    with pytest.raises(Unauthenticated):
        Authenticator(anonymous=None).authenticate(store, "  ")


# --- JWT ---------------------------------------------------------------------------------------

SECRET = "a-shared-secret-of-at-least-32-bytes!!"


def _jwt(key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    base = {"iss": "https://idp.example", "sub": "alice", "role": "editor", "scope": COUNTY}
    base["exp"] = datetime.now(UTC) + timedelta(minutes=5)
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, key, algorithm=algorithm)


def test_jwt_hs256(store: GraphStore) -> None:
    auth = Authenticator(jwt=JwtVerifier("https://idp.example", SECRET))
    assert auth.authenticate(store, f"Bearer {_jwt()}") == Principal(
        "alice", AccessRole.EDITOR, COUNTY
    )
    viewer = auth.authenticate(store, f"Bearer {_jwt(role=None, scope=None)}")
    assert viewer == Principal("alice", AccessRole.VIEWER)
    for token in (
        _jwt(iss="https://evil.example"),
        _jwt(exp=datetime.now(UTC) - timedelta(hours=1)),
        _jwt(key="another-secret-of-at-least-32-bytes!!"),
        _jwt(role="superuser"),
        _jwt(sub=None),
        _jwt(exp=None),
    ):
        with pytest.raises(Unauthenticated):
            auth.authenticate(store, f"Bearer {token}")


def test_jwt_audience(store: GraphStore) -> None:
    auth = Authenticator(jwt=JwtVerifier("https://idp.example", SECRET, audience="gridreg"))
    assert auth.authenticate(store, f"Bearer {_jwt(aud='gridreg')}").actor == "alice"
    for token in (_jwt(), _jwt(aud="other")):
        with pytest.raises(Unauthenticated):
            auth.authenticate(store, f"Bearer {token}")


def test_jwt_rs256_public_key_and_no_algorithm_confusion(store: GraphStore) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    auth = Authenticator(jwt=JwtVerifier("https://idp.example", public_pem))
    good = _jwt(private, "RS256", role="admin", scope=None)
    assert auth.authenticate(store, f"Bearer {good}") == Principal("alice", AccessRole.ADMIN)
    # An HS256 token "signed" with the public key as the secret must not pass.
    claims = {"iss": "https://idp.example", "sub": "mallory", "role": "admin", "exp": 9999999999}
    head, body = _b64(b'{"alg":"HS256","typ":"JWT"}'), _b64(orjson.dumps(claims))
    mac = hmac.new(public_pem.encode(), head + b"." + body, hashlib.sha256).digest()
    forged = b".".join([head, body, _b64(mac)]).decode()
    with pytest.raises(Unauthenticated):
        auth.authenticate(store, f"Bearer {forged}")
    with pytest.raises(Unauthenticated):  # and an HS256 token with some other secret neither
        auth.authenticate(store, f"Bearer {_jwt(SECRET, 'HS256', role='admin')}")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


# --- write scopes ------------------------------------------------------------------------------


def test_editor_moving_a_grid_out_of_or_into_its_county_is_refused(store: GraphStore) -> None:
    with_other_county(store)
    mine = store.get(Grid, "G451225-001")
    theirs = store.get(Grid, "G451226-001")
    assert mine is not None and theirs is not None
    out = refused(store, editor(), [dataclasses.replace(mine, county=OTHER)])
    assert OTHER in out.ids
    into = refused(store, editor(), [dataclasses.replace(theirs, county=COUNTY)])
    assert OTHER in into.ids
    # the other county's editor may not take it either way
    refused(store, editor(OTHER), [dataclasses.replace(mine, county=OTHER)])
    # an admin may
    written(
        store, Principal("管理员", AccessRole.ADMIN), [dataclasses.replace(theirs, county=COUNTY)]
    )


def test_editor_writes_inside_its_scope(store: GraphStore) -> None:
    village = store.get(Place, VILLAGE)
    assert village is not None
    written(store, editor(), [dataclasses.replace(village, name="东门社区")])
    written(store, editor(TOWN), [dataclasses.replace(village, households=321)])
    # a new village under the township: resolved on the data as it will be
    new = Place(code="451225100299", name="新村", level=Level.VILLAGE, parent=TOWN)
    written(store, editor(TOWN), [new, Post(id="S-NEW", role="grid_worker", place=new.code)])
    # persons have no place: an editor may write them
    written(store, editor(TOWN), [Person(id="P-NEW", name="莫新")])
    written(
        store,
        editor(TOWN),
        [Holding(id="H-NEW", person="P-NEW", post="S-NEW", valid_from=NOW.date())],
    )


def test_editor_writes_outside_its_scope_are_refused(store: GraphStore) -> None:
    with_other_county(store)
    village = store.get(Place, VILLAGE)
    town = store.get(Place, TOWN)
    assert village is not None and town is not None
    # a township's editor: the county-level grid, and the township itself (its parent is the county)
    grid = store.get(Grid, "G451225-001")
    assert grid is not None
    refused(store, editor(TOWN), [dataclasses.replace(grid, name="x")])
    refused(store, editor(TOWN), [dataclasses.replace(town, name="x")])
    # moving a village out of the scope (the invariants would refuse it too: scope comes first)
    refused(store, editor(TOWN), [dataclasses.replace(village, parent=OTHER)])
    # one record outside refuses the whole batch
    refused(
        store,
        editor(),
        [
            dataclasses.replace(village, name="东门社区"),
            Post(id="S-X", role="grid_worker", place=OTHER),
        ],
    )
    # a term in a seat of another county
    refused(
        store,
        editor(),
        [Holding(id="H-X", person="P000001", post="S-OTHER", valid_from=NOW.date())],
    )
    # records about no place (but persons): admins only
    refused(store, editor(), [Role(code="new_role", name="新角色")])
    refused(store, editor(None), [Role(code="new_role", name="新角色")])
    written(store, Principal("管理员", AccessRole.ADMIN), [Role(code="new_role", name="新角色")])
    # a template's requirement follows its template's region
    template = RoleTemplate(code="T1", name="标准", region=OTHER, place_level=Level.VILLAGE)
    refused(store, editor(), [template])


def test_readers_never_write(store: GraphStore) -> None:
    for role in (AccessRole.VIEWER, AccessRole.ROUTER):
        principal = Principal("读者", role)
        with pytest.raises(Forbidden):
            write_guard(principal)
        with pytest.raises(Forbidden):
            check_write(store, principal, [Person(id="P9", name="x")])


def test_read_scope(store: GraphStore) -> None:
    with_other_county(store)
    assert read_scope(store, editor(), None) == COUNTY
    assert read_scope(store, editor(), VILLAGE) == VILLAGE
    assert read_scope(store, Principal("v", AccessRole.VIEWER), None) is None
    with pytest.raises(Forbidden):
        read_scope(store, editor(TOWN), COUNTY)
    with pytest.raises(Forbidden):
        read_scope(store, editor(), OTHER)


def test_mask_phone() -> None:
    assert mask_phone("13807781234") == "138****1234"
    assert mask_phone("0778-1234567") == "**********67"
    assert mask_phone("110") == "*10"
    assert mask_phone("12") == "**"
    assert mask_phone(None) is None
    row = {"id": "P1", "name": "张三", "phone": "18977865432"}
    assert mask_row("person", row) == {**row, "phone": "189****5432"}
    assert mask_row("organization", {"phone": "0778-1234567"}) == {"phone": "0778-1234567"}

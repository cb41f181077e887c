"""Who is asking, and what they may do: principals, API tokens, JWT, write scopes, masking.

A request is made by a ``Principal``: an ``actor`` (recorded in the audit trail), a role and an
optional scope (a place code). Roles, from least to most:

* ``viewer``: reads; persons' phone numbers are masked (``138****1234``);
* ``router``: reads, with phone numbers (the people routing requests need to call);
* ``editor``: reads and writes records about places inside its scope (before and after the
  change), and persons;
* ``admin``: everything, including records about no place (roles, categories, handling rules,
  alliances).

A scope also restricts reading the audit log to the scope.

API tokens read ``grt_<id>_<secret>``; the store keeps only the SHA-256 of the secret
(``GraphStore.put_token``), compared in constant time. A JWT from an identity provider is
accepted when ``GRIDREG_JWT_ISSUER`` and ``GRIDREG_JWT_KEY`` are set (claims ``sub``, ``role``,
``scope``).

>>> from registry.testing import sample_store
>>> store = sample_store()
>>> text, token = create_token(store, "韦编辑", AccessRole.EDITOR, scope="451225100000")
>>> text.startswith("grt_" + token.id + "_"), token.secret_hash != text
(True, True)
>>> Authenticator().authenticate(store, f"Bearer {text}")
Principal(actor='韦编辑', role=<AccessRole.EDITOR: 'editor'>, scope='451225100000')
>>> mask_phone("13807781234"), mask_phone("0778-1234567")
('138****1234', '**********67')
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from typing import Any, cast

from registry.codec import to_row
from registry.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from registry.invariants import Overlay, ReadView
from registry.model import AnyRecord, Place, RoleTemplate
from registry.queries.audit import touched_places
from registry.settings import Settings
from registry.store.base import GraphStore, TokenRecord, WriteGuard

__all__ = [
    "ANONYMOUS",
    "AccessRole",
    "Authenticator",
    "JwtVerifier",
    "Principal",
    "TokenRecord",
    "check_write",
    "create_token",
    "mask_phone",
    "mask_row",
    "parse_token",
    "read_scope",
    "require_writer",
    "write_guard",
]

TOKEN_PREFIX = "grt_"
#: Record kinds about no place that an editor may still write (persons hold seats in its scope).
EDITOR_PLACELESS = frozenset({"person"})
_MOBILE = re.compile(r"1\d{10}")
_MAX_DEPTH = 16


class AccessRole(StrEnum):
    """What a principal may do (see the module docstring)."""

    VIEWER = "viewer"
    ROUTER = "router"
    EDITOR = "editor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: ``actor`` goes into the audit trail; ``scope`` is a place code or None."""

    actor: str
    role: AccessRole
    scope: str | None = None

    @property
    def may_write(self) -> bool:
        return self.role in (AccessRole.EDITOR, AccessRole.ADMIN)

    @property
    def sees_personal_data(self) -> bool:
        """Phone numbers of persons unmasked."""
        return self.role is not AccessRole.VIEWER


#: Requests without a credential, where anonymous access is on (``GRIDREG_ANONYMOUS=viewer``).
ANONYMOUS = Principal("anonymous", AccessRole.VIEWER)


def _role(value: object) -> AccessRole:
    try:
        return AccessRole(str(value))
    except ValueError:
        roles = ", ".join(r.value for r in AccessRole)
        raise InvalidInput(f"role: {value!r} is not one of {roles}", field="role") from None


# --- API tokens ---------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    store: GraphStore,
    name: str,
    role: AccessRole | str,
    scope: str | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
    *,
    actor: str = "system",
    reason: str = "",
) -> tuple[str, TokenRecord]:
    """A new token, stored: returns the token text (shown once, never stored) and its record.

    ``name`` is the actor written into the audit trail: no other live token may have it. The
    creation itself is audited as ``actor``'s (the secret is not in the entry).
    """
    name = name.strip()
    if not name:
        raise InvalidInput(
            "a token needs a name (it is the actor in the audit trail)", field="name"
        )
    access = _role(role)
    if scope is not None and store.get(Place, scope) is None:
        raise NotFound(f"scope: no place {scope!r}", [scope])
    when = now or datetime.now(UTC)
    if expires_at is not None and expires_at <= when:
        raise InvalidInput("the token would expire before it is created", field="expires")
    taken = {t.name for t in store.list_tokens() if _live(t, when)}
    if name in taken:
        raise InvalidInput(f"a live token named {name!r} exists; revoke it first", field="name")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    record = TokenRecord(
        id=token_id,
        name=name,
        role=access.value,
        scope=scope,
        secret_hash=_hash(secret),
        created_at=when,
        expires_at=expires_at,
    )
    store.put_token(record, actor=actor, reason=reason)
    return f"{TOKEN_PREFIX}{token_id}_{secret}", record


def parse_token(text: str) -> tuple[str, str] | None:
    """The id and secret of an API token's text, or None when it is not one.

    >>> parse_token("grt_0a1b2c3d4e5f_s3cr_et"), parse_token("eyJhbGciOi...")
    (('0a1b2c3d4e5f', 's3cr_et'), None)
    """
    if not text.startswith(TOKEN_PREFIX):
        return None
    token_id, sep, secret = text[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not token_id or not secret:
        return None
    return token_id, secret


def _live(token: TokenRecord, now: datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


def _token_principal(store: GraphStore, text: str, now: datetime) -> Principal:
    parsed = parse_token(text)
    # One message for every failure: a caller learns nothing about which tokens exist.
    refused = Unauthenticated("invalid, revoked or expired token")
    if parsed is None:
        raise refused
    token = store.get_token(parsed[0])
    if token is None:
        _hash(parsed[1])  # about the same time as a known id
        raise refused
    if not hmac.compare_digest(token.secret_hash, _hash(parsed[1])) or not _live(token, now):
        raise refused
    try:
        role = AccessRole(token.role)
    except ValueError:
        raise refused from None
    return Principal(token.name, role, token.scope)


# --- JWT ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JwtVerifier:
    """Checks a JWT from an identity provider: signature (HS256 with a shared secret, or RS256 /
    ES256 with a public key in PEM), issuer, audience when set, and expiry (``exp`` required).
    Claims: ``sub`` (the actor), ``role`` (default viewer), ``scope`` (a place code, optional).
    """

    issuer: str
    key: str
    audience: str | None = None
    leeway_seconds: int = 30

    @property
    def algorithms(self) -> list[str]:
        # A public key never verifies an HMAC token (no algorithm confusion).
        if self.key.lstrip().startswith("-----BEGIN"):
            return ["RS256", "ES256"]
        return ["HS256"]

    def verify(self, text: str) -> Principal:
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                text,
                self.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": self.audience is not None,
                },
            )
        except jwt.PyJWTError:
            raise Unauthenticated("invalid or expired token") from None
        sub, scope = claims.get("sub"), claims.get("scope")
        try:
            role = AccessRole(str(claims.get("role") or AccessRole.VIEWER.value))
        except ValueError:
            raise Unauthenticated("invalid or expired token: unknown role") from None
        if not isinstance(sub, str) or not sub or not (scope is None or isinstance(scope, str)):
            raise Unauthenticated("invalid or expired token")
        return Principal(sub, role, scope or None)


# --- authentication -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Turns an ``Authorization`` header into a principal.

    ``anonymous``: the principal of requests without a credential (None: a credential is
    required); ``jwt``: accept JWTs too.
    """

    anonymous: Principal | None = ANONYMOUS
    jwt: JwtVerifier | None = None

    @staticmethod
    def from_settings(settings: Settings) -> Authenticator:
        """``GRIDREG_ANONYMOUS`` and ``GRIDREG_JWT_*``."""
        anonymous = None if settings.anonymous == "none" else ANONYMOUS
        verifier = None
        if settings.jwt_issuer and settings.jwt_key is not None:
            verifier = JwtVerifier(
                settings.jwt_issuer, settings.jwt_key.get_secret_value(), settings.jwt_audience
            )
        return Authenticator(anonymous, verifier)

    def needs_store(self, authorization: str | None) -> bool:
        """True when authenticating reads the store (an API token)."""
        return bool(authorization and TOKEN_PREFIX in authorization)

    def authenticate(
        self, store: GraphStore, authorization: str | None, now: datetime | None = None
    ) -> Principal:
        """The principal of a request with this ``Authorization`` header (raises
        ``Unauthenticated``)."""
        if not authorization or not authorization.strip():
            if self.anonymous is None:
                raise Unauthenticated("a credential is required: Authorization: Bearer <token>")
            return self.anonymous
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("use Authorization: Bearer <token>")
        if credential.startswith(TOKEN_PREFIX):
            return _token_principal(store, credential, now or datetime.now(UTC))
        if self.jwt is not None:
            return self.jwt.verify(credential)
        raise Unauthenticated("invalid, revoked or expired token")


# --- authorization ------------------------------------------------------------------------------


def require_writer(principal: Principal) -> None:
    """Refuse principals whose role never writes (viewer, router)."""
    if not principal.may_write:
        raise Forbidden(f"role {principal.role.value} may not write")


def write_guard(principal: Principal) -> WriteGuard | None:
    """The check to run inside a write of ``principal`` (None: nothing to check)."""
    require_writer(principal)
    if principal.role is AccessRole.ADMIN and principal.scope is None:
        return None
    return partial(_guard, principal)


def _guard(principal: Principal, store: GraphStore, records: Sequence[AnyRecord]) -> None:
    check_write(store, principal, records)


def check_write(store: GraphStore, principal: Principal, records: Sequence[AnyRecord]) -> None:
    """Raise ``Forbidden`` unless ``principal`` may write ``records``.

    Each record's places are resolved before the change (its stored version, on ``store``) and
    after it (on the data with the batch applied), as in the audit log
    (``registry.queries.audit.touched_places``); every one must be inside the principal's scope.
    A record about no place may be written by an admin only, except persons (an editor may
    create and update persons).
    """
    require_writer(principal)
    if principal.role is AccessRole.ADMIN and principal.scope is None:
        return
    after = Overlay(store, records)
    memo: dict[tuple[int, str], bool] = {}
    for rec in records:
        stored = store.get(type(rec), rec.key)
        before = set() if stored is None else _places(store, stored)
        now = _places(cast(GraphStore, after), rec)
        if not before and not now:
            if principal.role is AccessRole.ADMIN or rec.KIND in EDITOR_PLACELESS:
                continue
            raise Forbidden(
                f"{rec.KIND} {rec.key} concerns no place: only an admin may write it", [rec.key]
            )
        if principal.scope is None:
            continue
        for view, places in ((store, before), (after, now)):
            for code in sorted(places):
                if not _within(view, code, principal.scope, memo):
                    raise Forbidden(
                        f"{rec.KIND} {rec.key} touches {code}, outside the scope {principal.scope}",
                        [rec.key, code],
                    )


def _places(view: GraphStore, rec: AnyRecord) -> set[str]:
    if rec.KIND != "requirement":
        row = {"kind": rec.KIND, "key": rec.key, "before": None, "after": to_row(rec)}
        return touched_places(view, row)
    template = view.get(RoleTemplate, str(getattr(rec, "template", "")))
    return set() if template is None else _places(view, template)


def _within(view: ReadView, code: str, scope: str, memo: dict[tuple[int, str], bool]) -> bool:
    key = (id(view), code)
    if key not in memo:
        node, found, depth = view.get(Place, code), code == scope, 0
        while not found and node is not None and node.parent and depth < _MAX_DEPTH:
            found = node.parent == scope
            node, depth = view.get(Place, node.parent), depth + 1
        memo[key] = found
    return memo[key]


def read_scope(store: GraphStore, principal: Principal, requested: str | None) -> str | None:
    """The scope a read of the audit log runs with: the requested one, which must lie inside
    the principal's scope (``Forbidden`` otherwise), or the principal's when none is asked."""
    if principal.scope is None:
        return requested
    if requested is None:
        return principal.scope
    if not _within(store, requested, principal.scope, {}):
        raise Forbidden(f"scope {requested} is outside your scope {principal.scope}", [requested])
    return requested


# --- personal data ------------------------------------------------------------------------------


def mask_phone(phone: str | None) -> str | None:
    """A phone number as shown to callers who may not see personal data: a mobile number keeps
    its first 3 and last 4 digits (``138****1234``), anything else its last 2 characters."""
    if phone is None:
        return None
    text = phone.strip()
    if _MOBILE.fullmatch(text):
        return f"{text[:3]}****{text[-4:]}"
    return "*" * max(len(text) - 2, 0) + text[-2:] if len(text) > 2 else "*" * len(text)


def mask_row(kind: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record row (``registry.codec.to_row``) with personal data masked (persons' phones)."""
    if row is None or kind != "person" or not row.get("phone"):
        return row
    return {**row, "phone": mask_phone(str(row["phone"]))}

"""GraphQL: the audit trail (``auditLog``), scoped to a region.

A caller with a scope (``registry.auth``) reads only its scope: without ``scope`` the log is
scoped to it, and a ``scope`` outside it is FORBIDDEN. Persons' phone numbers in the changes are
masked for callers who may not see personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from registry.auth import mask_row, read_scope
from registry.queries.audit import audit_entries
from registry.store.base import AuditEntry as Entry
from schema.nodes import Ctx
from schema.pagination import Connection, paginate

__all__ = ["AuditQuery"]


@strawberry.type(description="One record changed by a write: its row before and after.")
class AuditChange:
    kind: str
    key: str
    before: JSON | None
    after: JSON | None


@strawberry.type(description="One committed write: who, when, what and why.")
class AuditEntry:
    id: int
    at: datetime
    actor: str
    operation: str
    reason: str
    count: int = strawberry.field(description="Records written.")
    changes: list[AuditChange] = strawberry.field(
        description="Each record before and after (empty for large writes)."
    )

    @staticmethod
    def of(e: Entry, personal: bool = True) -> AuditEntry:
        """``personal``: False masks persons' phone numbers."""

        def change(c: dict[str, Any]) -> AuditChange:
            kind = str(c.get("kind"))
            before, after = c.get("before"), c.get("after")
            if not personal:
                before, after = mask_row(kind, before), mask_row(kind, after)
            return AuditChange(kind=kind, key=str(c.get("key")), before=before, after=after)

        return AuditEntry(
            id=e.id,
            at=e.at,
            actor=e.actor,
            operation=e.operation,
            reason=e.reason,
            count=e.count,
            changes=[change(c) for c in e.changes],
        )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Committed writes, newest first, since `since`, that touch `scope` (a "
        "place code: writes about it or anything under it, before or after the change); "
        "without a scope, every write. A caller with a scope reads only inside it."
    )
    def audit_log(
        self,
        info: Ctx,
        scope: str | None = None,
        since: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        store, principal = info.context.store, info.context.principal
        found = audit_entries(store, read_scope(store, principal, scope), since)
        personal = principal.sees_personal_data
        return paginate(
            found, first, after, info.context.max_page_size, lambda e: AuditEntry.of(e, personal)
        )

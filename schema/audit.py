"""GraphQL: the audit trail (``auditLog``), scoped to a region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

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
    def of(e: Entry) -> AuditEntry:
        def change(c: dict[str, Any]) -> AuditChange:
            return AuditChange(
                kind=str(c.get("kind")), key=str(c.get("key")), before=c.get("before"),
                after=c.get("after"),
            )  # fmt: skip

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
        "without a scope, every write."
    )
    def audit_log(
        self,
        info: Ctx,
        scope: str | None = None,
        since: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntry]:
        found = audit_entries(info.context.store, scope, since)
        return paginate(found, first, after, info.context.max_page_size, AuditEntry.of)

"""A faster GraphQL execution of plain fields (most fields of every answer).

graphql-core executes every field the same way: it builds a resolve-info object and a path,
calls the field's resolver (strawberry's wrapper around ``getattr``), checks twice whether the
result is awaitable and completes it through the generic ``complete_value``. An answer of
``responsible`` has about two hundred fields, nearly all of them attributes of the answer's
objects, and that per-field machinery costs several times the query itself.

``FastExecutionContext`` compiles, once per field of a (cached) query document, a *plan* for
each field that is plain all the way down: strawberry marks it *basic* (no resolver, no field
extensions, no permission classes), it has no arguments and no directives, its type is a
scalar, an enum, an object type (without ``is_type_of``) or a list of those, and every field
selected below it is plain too. A plain field is then answered by reading the attributes and
coercing the leaves with their types' own ``coerce_output_value``, with no resolve-info, no
path and no awaitable checks per field. Any anomaly (a null for a non-null field, an
exception, an awaitable, a value a type refuses, something not a list where a list is due)
abandons the plan for that field and executes it the generic way, so errors, their messages
and their paths are exactly graphql-core's. Fields with resolvers (masked phone numbers,
DataLoader lookups, the query fields) always go the generic way. Two shortcuts give the same
values as the coercions they skip: a ``str`` for ``String`` or ``ID`` and a ``bool`` for
``Boolean`` are returned as they are, and a strawberry enum member's name is looked up once.
Answers are identical; only the time differs.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["FastExecutionContext", "compile_field"]

#: A compiled plan: the completed value of its field on a source object (raises on anomaly).
Plan = Callable[[Any], Any]
#: Most plans kept (each keeps its field node alive, so node ids are never reused).
MAX_PLANS = 4096
_PLANS: dict[tuple[GraphQLObjectType, int], tuple[FieldNode, Plan | None]] = {}
#: graphql-core's scalars whose coercion returns a value of this exact type unchanged.
_SAME: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
#: Types whose values are neither awaitable nor exceptions (checked once per type).
_PLAIN: set[type] = {str, int, float, bool, list, tuple, dict}


class _Abandon(Exception):
    """The plan cannot complete this value: execute the field the generic way."""


def _reader(field_def: Any) -> Any:
    """How to read a field strawberry resolves by its default resolver only (its "basic"
    fields): a function of the source object, or None for any other field."""
    resolve = getattr(field_def, "resolve", None)
    if resolve is None or getattr(resolve, "__name__", "") != "_get_basic_result":
        return None
    field = field_def.extensions.get("strawberry-definition")
    if getattr(field, "default_resolver", None) is getattr and field.is_basic_field:
        return attrgetter(field.python_name)  # what strawberry's basic resolver does
    return resolve  # strawberry's basic resolver needs no resolve-info


def _check(value: Any) -> None:
    """Abandon an exception or an awaitable (what graphql-core would await or raise)."""
    kind = type(value)
    if kind in _PLAIN:
        return
    if isinstance(value, Exception) or optimized_is_awaitable(value):
        raise _Abandon
    if not hasattr(kind, "__await__") and not issubclass(kind, (Coroutine, Generator)):
        _PLAIN.add(kind)


def compile_field(parent_type: GraphQLObjectType, node: FieldNode) -> Plan | None:
    """The plan of ``node`` on ``parent_type``, or None when it must go the generic way."""
    if node.directives or node.arguments:
        return None
    name = node.name.value
    if name == "__typename":
        type_name = parent_type.name
        return lambda _source: type_name
    field_def = parent_type.fields.get(name)
    read = None if field_def is None else _reader(field_def)
    if field_def is None or read is None:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if non_null else field_type
    item: Plan | None
    if isinstance(inner, GraphQLList):
        inner = inner.of_type
        items_non_null = isinstance(inner, GraphQLNonNull)
        item = _value_plan(inner.of_type if items_non_null else inner, node)
        return None if item is None else _list_plan(read, non_null, item, items_non_null)
    item = _value_plan(inner, node)
    return None if item is None else _field_plan(read, non_null, item, _SAME.get(inner))


def _value_plan(value_type: Any, node: FieldNode) -> Plan | None:
    """How to complete one (non-null, checked) value of ``value_type``."""
    if is_leaf_type(value_type):
        if node.selection_set is not None:
            return None
        coerce = value_type.coerce_output_value

        def leaf(value: Any) -> Any:
            out = coerce(value)
            if out is None or out is Undefined:
                raise _Abandon
            return out

        members = getattr(value_type, "wrapped_cls", None)  # a strawberry enum's Python enum
        if members is None:
            return leaf
        names: dict[Any, Any] = {}  # member -> its GraphQL name, as the type coerces it

        def enum_leaf(value: Any) -> Any:
            if type(value) is not members:
                return leaf(value)
            try:
                return names[value]
            except KeyError:
                out = names[value] = leaf(value)
                return out

        return enum_leaf
    if not isinstance(value_type, GraphQLObjectType) or value_type.is_type_of is not None:
        return None  # abstract types and lists of lists are left to graphql-core
    fields = _compile_selection(value_type, node)
    if fields is None:
        return None
    return lambda value: {name: plan(value) for name, plan in fields}


def _field_plan(read: Any, non_null: bool, complete: Plan, same: type | None) -> Plan:
    def field(source: Any) -> Any:
        value = read(source)
        if value is None:
            if non_null:
                raise _Abandon
            return None
        kind = type(value)
        if kind is same:
            return value  # what the scalar's coercion returns for it
        if kind not in _PLAIN:
            _check(value)
        return complete(value)

    return field


def _list_plan(read: Any, non_null: bool, complete: Plan, items_non_null: bool) -> Plan:
    def field(source: Any) -> Any:
        value = read(source)
        if value is None:
            if non_null:
                raise _Abandon
            return None
        if type(value) is not list and type(value) is not tuple:
            raise _Abandon  # graphql-core's iterables and their errors
        out: list[Any] = []
        for item in value:
            if item is None:
                if items_non_null:
                    raise _Abandon
                out.append(None)
            else:
                _check(item)
                out.append(complete(item))
        return out

    return field


def _compile_selection(
    object_type: GraphQLObjectType, node: FieldNode
) -> tuple[tuple[str, Plan], ...] | None:
    if node.selection_set is None:
        return None
    plans: list[tuple[str, Plan]] = []
    names: set[str] = set()
    for sel in node.selection_set.selections:
        if not isinstance(sel, FieldNode):
            return None  # fragments: left to graphql-core's field collection
        response_name = sel.alias.value if sel.alias else sel.name.value
        if response_name in names:
            return None  # merged fields
        names.add(response_name)
        plan = compile_field(object_type, sel)
        if plan is None:
            return None
        plans.append((response_name, plan))
    return tuple(plans)


def _plan(parent_type: GraphQLObjectType, node: FieldNode) -> Plan | None:
    key = (parent_type, id(node))
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    plan = compile_field(parent_type, node)
    if len(_PLANS) >= MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = (node, plan)
    return plan


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution with plain fields completed by compiled plans."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if (
            manager is not None and manager._middleware_resolvers is not None
        ) or self.is_awaitable is not optimized_is_awaitable:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        generic: dict[str, Any] = {}
        direct: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        for response_name, details in grouped_field_set.items():
            plan = _plan(parent_type, details[0].node) if len(details) == 1 else None
            if plan is not None:
                try:
                    direct[response_name] = plan(source_value)
                    continue
                except Exception:  # the generic way reports it
                    pass
            generic[response_name] = details
        if not generic:
            return direct
        rest = super().execute_fields(parent_type, source_value, path, generic, position_context)
        return _merge(grouped_field_set, direct, rest, is_awaitable)


def _merge(order: Any, direct: dict[str, Any], rest: Any, is_awaitable: Any) -> Any:
    """The field results in the order of the selection (``rest`` may be awaitable)."""
    if not direct:
        return rest
    if is_awaitable(rest):

        async def merged() -> dict[str, Any]:
            return _ordered(order, direct, await rest)

        return merged()
    return _ordered(order, direct, rest)


def _ordered(order: Any, direct: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in order:
        if name in direct:
            out[name] = direct[name]
        elif name in rest:
            out[name] = rest[name]
    return out

"""Resolvers called directly, without strawberry's per-call argument conversion.

For every field with a resolver, strawberry's wrapper builds an ``Info``, converts each
argument with ``convert_argument`` (a chain of type checks, an import and a name conversion
per argument, per call), then chains the field's extensions around the call. For a field with
no extensions (so no permission classes) and no exception handlers, and a call whose arguments
are all scalars or null, all that gives back the values graphql-core already coerced: ``convert_argument`` returns a
scalar's value unchanged, and so does a null. ``install`` replaces the resolver of each such
field by one that maps the GraphQL argument names to the resolver's parameter names (computed
once) and calls the resolver with the same positional source, ``info`` and keyword arguments
strawberry would pass. An argument of another type (an input object, a list, an enum,
``GlobalID``) given a value sends that call to strawberry's resolver; fields with ``Maybe``
arguments, async resolvers, extensions or a custom ``get_result`` keep strawberry's resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLField, GraphQLObjectType
from strawberry.relay.types import GlobalID
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

__all__ = ["install"]


def install(schema: strawberry.Schema) -> int:
    """Install direct resolvers on ``schema``'s eligible fields; how many were installed."""
    converter = schema.schema_converter
    if getattr(converter, "_exception_handler_specs", None):
        return 0  # handlers may apply to any field: keep strawberry's resolvers
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            direct = _direct(schema, graphql_field)
            if direct is not None:
                graphql_field.resolve = direct
                count += 1
    return count


def _direct(schema: strawberry.Schema, graphql_field: GraphQLField) -> Callable[..., Any] | None:
    field = graphql_field.extensions.get("strawberry-definition")
    resolve = graphql_field.resolve
    if (
        resolve is None
        or not isinstance(field, StrawberryField)
        or getattr(resolve, "__name__", "") != "_resolver"  # strawberry's sync resolver
        or field.extensions
        or field.is_async
        or type(field).get_result is not StrawberryField.get_result
    ):
        return None
    resolver = field.base_resolver
    if resolver is None or type(resolver).__call__ is not StrawberryResolver.__call__:
        return None
    names: list[tuple[str, str]] = []  # (GraphQL name, Python name) of every argument
    others: list[str] = []  # GraphQL names of the arguments strawberry must convert
    for argument in field.arguments:
        if isinstance(argument.type, StrawberryMaybe) or argument.python_name is None:
            return None
        name = schema.config.name_converter.from_argument(argument)
        names.append((name, argument.python_name))
        if not _scalar(schema, argument.type):
            others.append(name)
    call = resolver.wrapped_func
    if not callable(call):
        return None
    info_class = schema.config.info_class
    with_self = resolver.self_parameter is not None
    by_source = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def _direct_resolver(_source: Any, info: Any, **kwargs: Any) -> Any:
        for name in others:
            if kwargs.get(name) is not None:  # an input object, a list, an enum: converted
                return resolve(_source, info, **kwargs)
        values = {python: kwargs[name] for name, python in names if name in kwargs}
        for name in by_source:
            values[name] = _source
        if info_name is not None:
            values[info_name] = info_class(_raw_info=info, _field=field)
        return call(_source, **values) if with_self else call(**values)

    return _direct_resolver


def _scalar(schema: strawberry.Schema, type_: Any) -> bool:
    """A scalar type (not ``GlobalID``), or an optional one: ``convert_argument`` returns such
    values unchanged."""
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if type_ is GlobalID:
        return False
    return type_ in schema.schema_converter.scalar_registry

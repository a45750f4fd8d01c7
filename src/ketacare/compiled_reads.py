"""Hot reads whose SQL Django compiles once per connection, not on every request.

Compiling a queryset to SQL (joins, select_related columns, quoting) costs more CPU than
running it for the few reads every request makes: the bearer token with its user, the
session a vitals write locks, the clinic policy. ``CompiledRead`` keeps the ORM as the one
description of such a read (columns, joins and relations follow the models; nothing is
hand-written) and reuses the compiled statement with new parameter values:

    _TOKEN = CompiledRead(
        lambda: ApiToken.objects.select_related("user").filter(digest=Slot("digest", field))[:1]
    )
    rows = _TOKEN.rows(digest="...")

A ``Slot`` is a named parameter in the filter; each call's value is adapted by the slot's
field exactly as Django adapts a filter value (``get_db_prep_value``). Rows come back as
model instances built as Django's own iterator builds them (``from_db``, select_related
objects, the backend's converters). The statement still goes through the connection's
cursor, so query capture, execute wrappers and the test suite's query-count pins see it.
A locking read (``select_for_update``) outside a transaction is refused on every engine, as
Django refuses it where the engine has row locks. Only simple querysets belong here: models
with select_related/only, filters and a slice; not prefetches, annotations or
``_known_related_objects``. A prefetch is a second ``CompiledRead`` of the children (filtered
by what selects the parents, e.g. the patient) handed to ``attach_children``, which sets on
the parents what ``prefetch_related`` would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Slot(Expression):
    """A named parameter of a ``CompiledRead``: ``filter(pk=Slot("id", field))``."""

    def __init__(self, name: str, field: Field) -> None:
        super().__init__(output_field=field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [_Marker(self.name)]


@dataclass
class _Compiled:
    sql: str
    template: list[Any]  # parameters, with a _Marker where each call's value goes
    slots: dict[str, Field]
    compiler: Any
    init_list: list[str]
    model_start: int
    model_end: int
    populators: list[Any]
    converters: dict[int, Any]
    for_update: bool


def slot(model: type[Model], name: str, path: str | None = None) -> Slot:
    """The ``Slot`` named ``name`` for ``model``'s field ``path`` (default: ``name``); a
    foreign key's slot takes the related row's id: ``filter(patient_id=slot(Weight,
    "patient"))``."""
    field = model._meta.get_field(path or name)
    return Slot(name, field.target_field if field.is_relation else field)


class CompiledRead:
    """One read, compiled on first use on each connection, then executed with new values."""

    def __init__(self, build: Callable[[], QuerySet], using: str = DEFAULT_DB_ALIAS) -> None:
        self.build = build
        self.using = using

    def _compile(self, connection) -> _Compiled:
        queryset = self.build()
        query = queryset.query
        slots: dict[str, Field] = {}

        def collect(node: Any) -> None:
            for child in getattr(node, "children", ()):
                collect(child)
            rhs = getattr(node, "rhs", None)
            if isinstance(rhs, Slot):
                slots[rhs.name] = rhs.output_field

        collect(query.where)
        compiler = query.get_compiler(connection=connection)
        if query.select_for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        sql, params = compiler.as_sql()
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=sql,
            template=list(params),
            slots=slots,
            compiler=compiler,
            init_list=[f[0].target.attname for f in select[start:end]],
            model_start=start,
            model_end=end,
            populators=get_related_populators(klass_info, select, self.using),
            converters=compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            for_update=bool(query.select_for_update),
        )

    def rows(self, **values: Any) -> list[Model]:
        connection = connections[self.using]
        cache = connection.__dict__.setdefault("_ketacare_compiled_reads", {})
        compiled = cache.get(self)
        if compiled is None:
            compiled = cache[self] = self._compile(connection)
        elif compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        if set(values) != set(compiled.slots):
            raise TypeError(f"expected values for {sorted(compiled.slots)}, got {sorted(values)}")
        params = [
            compiled.slots[p.name].get_db_prep_value(values[p.name], connection, prepared=False)
            if isinstance(p, _Marker)
            else p
            for p in compiled.template
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if not fetched:
            return []
        model = compiled.compiler.klass_info["model"]
        start, end = compiled.model_start, compiled.model_end
        rows = fetched
        if compiled.converters:
            rows = compiled.compiler.apply_converters(fetched, compiled.converters)
        out = []
        for row in rows:
            obj = model.from_db(self.using, compiled.init_list, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            out.append(obj)
        return out

    def first(self, **values: Any) -> Model | None:
        found = self.rows(**values)
        return found[0] if found else None


def attach_children(
    parents: Iterable[Model],
    name: str,
    children: Iterable[Model],
    queryset: QuerySet | None = None,
) -> None:
    """What ``prefetch_related(Prefetch(name, queryset))`` sets for a reverse foreign key
    ``name`` (e.g. a course's ``sessions``): each parent's ``parent.<name>.all()`` answers
    its children, in ``children``'s order, without a query, and each child's foreign key to
    its parent is that parent row. ``children`` must be every child of these parents, read as
    ``queryset`` (the Prefetch's; None: the plain manager's) would read them."""
    parents = list(parents)
    if not parents:
        return
    relation = type(parents[0])._meta.get_field(name)
    field = relation.field  # the child's foreign key
    by_parent: dict[Any, list[Model]] = defaultdict(list)
    for child in children:
        by_parent[getattr(child, field.attname)].append(child)
    for parent in parents:
        rows = by_parent.get(parent.pk, [])
        for child in rows:
            field.set_cached_value(child, parent)
        manager = getattr(parent, name)
        cached = (
            manager._apply_rel_filters(queryset) if queryset is not None else manager.get_queryset()
        )
        cached._result_cache = rows
        cached._prefetch_done = True
        parent.__dict__.setdefault("_prefetched_objects_cache", {})[relation.cache_name] = cached

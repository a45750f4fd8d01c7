"""Hot INSERTs whose SQL Django compiles once per connection, not on every write.

The busiest write (a vitals reading) and every audited request insert one row each; Django's
``save()`` builds an ``InsertQuery`` and compiles it to SQL (column list, quoting,
placeholders, ``RETURNING``) on every call, which the profile put at about a quarter of the
vitals write's CPU. ``CompiledInsert`` keeps the ORM as the one description of the insert
(the columns, the ``RETURNING`` clause and any SQL expression come from Django's own insert
compiler) and reuses the compiled statement with each row's values:

    _INSERT_READING = CompiledInsert(VitalsReading, guard=require_service_write)
    _INSERT_READING.insert(row)  # as row.save(force_insert=True) would

Each value goes through the field exactly as ``save()`` sends it (``pre_save(add=True)``,
then ``get_db_prep_save``), so the row written is the same, column for column; the
database's defaults, constraints and triggers apply as to any INSERT. ``insert`` also does
what ``save()`` does around the statement: related objects are checked and their keys taken
(``_prepare_related_fields_for_save``), ``pre_save``/``post_save`` are sent, a failure marks
the enclosing atomic block for rollback, and the returned columns (the id, and any
``db_returning`` field) are set on the instance. It runs in the caller's transaction, through
the connection's cursor (query capture and the statement-count pins see it).

What it does not do, on purpose: model validation (``full_clean``, the caller's job, as with
``save()``), and a model's own ``save()`` override: pass its check as ``guard`` (the clinical
records' ``require_service_write``; an audit entry's "new rows only" is this class's own).
Only new rows of models with an auto-incremented id, no multi-table parents and no
``order_with_respect_to``. A field set to an SQL expression must be declared
(``expressions``): the statement is compiled with it, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Expression, Field, Model
from django.db.models.signals import post_save, pre_save
from django.db.models.sql.compiler import SQLInsertCompiler
from django.db.models.sql.subqueries import InsertQuery


class _Value:
    """Where a field's per-row value goes in the compiled parameters."""

    __slots__ = ("field",)

    def __init__(self, field: Field) -> None:
        self.field = field


class _TemplateCompiler(SQLInsertCompiler):
    """Django's insert compiler, with a ``_Value`` in place of each field's value (and the
    declared expressions compiled into the SQL), so ``as_sql`` gives the statement once."""

    def __init__(self, *args: Any, expressions: dict[str, Expression], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expressions = expressions

    def pre_save_val(self, field: Field, obj: Any) -> Any:
        if field.attname in self.expressions:
            return self.expressions[field.attname]
        return _Value(field)

    def prepare_value(self, field: Field, value: Any) -> Any:
        return value if isinstance(value, _Value) else super().prepare_value(field, value)


@dataclass
class _Compiled:
    sql: str
    template: list[Any]  # parameters, with a _Value where each row's value goes
    returning_fields: list[Field]
    returning_params: Any
    compiler: SQLInsertCompiler
    converters: dict[int, Any]
    computed: tuple[str, ...]  # attnames the database computes (declared expressions)


class CompiledInsert:
    """One model's INSERT, compiled on first use on each connection, then executed per row."""

    def __init__(
        self,
        model: type[Model],
        expressions: Callable[[Any], dict[str, Expression]] | None = None,
        guard: Callable[[Model], None] | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        meta = model._meta
        if meta.parents or meta.order_with_respect_to or not meta.auto_field:
            raise TypeError(f"{meta.label}: only single-table models with an auto id")
        self.model = model
        self.expressions = expressions  # connection -> {attname: expression}
        self.guard = guard  # the check the model's save() makes, which this path bypasses
        self.using = using

    def _compile(self, connection: Any) -> _Compiled:
        meta = self.model._meta
        if not connection.features.can_return_columns_from_insert:
            raise NotImplementedError(f"{connection.vendor}: INSERT ... RETURNING needed")
        # The fields save() inserts for a new row of a model with an auto id.
        fields = [
            f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
        ]
        returning = list(meta.db_returning_fields)
        query = InsertQuery(self.model)
        query.insert_values(fields, [None])
        expressions = self.expressions(connection) if self.expressions else {}
        compiler = _TemplateCompiler(query, connection, self.using, expressions=expressions)
        compiler.returning_fields = returning
        [(sql, params)] = compiler.as_sql()
        cols = [f.get_col(meta.db_table) for f in returning]
        return _Compiled(
            sql=sql,
            template=list(params),
            returning_fields=returning,
            returning_params=compiler.returning_params,
            compiler=compiler,
            converters=compiler.get_converters(cols),
            computed=tuple(expressions),
        )

    @staticmethod
    def _value(field: Field, obj: Model, connection: Any) -> Any:
        value = field.pre_save(obj, add=True)
        if hasattr(value, "resolve_expression"):
            # Compiling it per row is what this class avoids: declare it (``expressions``).
            raise TypeError(f"{field.name}: an expression not declared at compile time")
        return field.get_db_prep_save(value, connection=connection)

    def insert(self, obj: Model) -> None:
        """Insert ``obj`` (a new row) as ``obj.save(force_insert=True)`` would."""
        if not isinstance(obj, self.model) or obj.pk is not None or not obj._state.adding:
            raise ValueError(f"a new {self.model._meta.label} without an id is inserted here")
        if self.guard is not None:
            self.guard(obj)
        connection = connections[self.using]
        cache = connection.__dict__.setdefault("_ketacare_compiled_inserts", {})
        compiled = cache.get(self)
        if compiled is None:
            compiled = cache[self] = self._compile(connection)
        for attname in compiled.computed:
            if getattr(obj, attname) is not None:
                raise ValueError(f"{attname} is computed by the database on insert")
        obj._prepare_related_fields_for_save(operation_name="save")
        origin = type(obj)
        pre_save.send(sender=origin, instance=obj, raw=False, using=self.using, update_fields=None)
        params = [
            self._value(p.field, obj, connection) if isinstance(p, _Value) else p
            for p in compiled.template
        ]
        with (
            transaction.mark_for_rollback_on_error(using=self.using),
            connection.cursor() as cursor,
        ):
            cursor.execute(compiled.sql, params)
            rows = [connection.ops.fetch_returned_insert_columns(cursor, compiled.returning_params)]
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        for value, field in zip(rows[0], compiled.returning_fields, strict=True):
            setattr(obj, field.attname, value)
        obj._state.db = self.using
        obj._state.adding = False
        post_save.send(
            sender=origin,
            instance=obj,
            created=True,
            update_fields=None,
            raw=False,
            using=self.using,
        )

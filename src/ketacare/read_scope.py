"""One page's shared reads: inside ``with read_scope():`` a selector marked ``@shared_read``
runs its query once and every later call with the same arguments gets the same rows.

Why: the patient chart is composed of independent panels (one per app), and several of them
need the same rows (the assessments for the trajectory, the outcome status, the maintenance
timing and the recommendation; the latest evaluation for its panel and the recommendation;
the clinic's policy). Without a scope each panel would query again.

Outside a scope (every service, API write and background job) a marked selector reads the
database afresh on each call, so nothing that writes can see a stale row. A scope is opened
only around read-only work of one request (the chart view), after its audited read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

_memo: ContextVar[dict[tuple, Any] | None] = ContextVar("ketacare_read_scope", default=None)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def read_scope() -> Iterator[None]:
    """Share ``@shared_read`` results until the block ends (nested scopes share the outer's)."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _key(value: Any) -> Any:
    meta = getattr(value, "_meta", None)
    if meta is not None and hasattr(value, "pk"):  # a model row: the same row, by identity
        return (meta.label, value.pk)
    return value


def shared_read(fn: Callable[P, R]) -> Callable[P, R]:
    """Memoise ``fn`` within a read scope. Its arguments must be model rows or hashable
    values. A list result is copied for each caller, so one panel's sort cannot reorder
    another's rows; the rows themselves are shared and must not be modified."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _memo.get()
        if memo is None:
            return fn(*args, **kwargs)
        key = (
            fn.__module__,
            fn.__qualname__,
            tuple(_key(a) for a in args),
            tuple(sorted((k, _key(v)) for k, v in kwargs.items())),
        )
        if key not in memo:
            memo[key] = fn(*args, **kwargs)
        value = memo[key]
        return list(value) if isinstance(value, list) else value  # type: ignore[return-value]

    return wrapper

"""Where a request came from, carried to the audit trail without threading it through
every service signature. Set by ``RequestContextMiddleware``; empty outside requests
(CLI, seeding), where entries record the channel instead."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""
    channel: str = "cli"  # web | api | cli | system


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "ketacare_request_context",
    default=RequestContext(),  # noqa: B039 - frozen, immutable
)


def current() -> RequestContext:
    return _current.get()


def set_context(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset_context(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)

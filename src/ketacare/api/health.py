from __future__ import annotations

from django.db import connection
from ninja import Router, Schema

router = Router(tags=["health"])


class HealthRead(Schema):
    status: str
    database: str


@router.get("/health", response=HealthRead, auth=None)
def health(request):
    """Liveness and which database engine serves this instance."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {
        "status": "ok",
        "database": "postgresql" if connection.vendor == "postgresql" else "sqlite",
    }

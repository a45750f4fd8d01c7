"""The audit tables' append-only triggers, as the tests step past them the way the
database's owner could (docs/adr/0002-audit-trail.md: what that power can and cannot hide)."""


def audit_tables_with_triggers(conn) -> list[str]:
    """PostgreSQL: the audit tables that carry the append-only triggers, quoted."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT quote_ident(c.relname) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname LIKE 'audit\\_%' ESCAPE '\\' "
            "AND c.relnamespace = to_regnamespace(current_schema())::oid ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]

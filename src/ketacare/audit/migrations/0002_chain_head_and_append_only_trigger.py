"""Create the chain head row, and on PostgreSQL refuse UPDATE/DELETE of audit entries at
the database itself, so even raw SQL through the application's role cannot rewrite history
without tripping ``ketacare audit verify`` (the trigger can still be dropped by a superuser,
which is what the hash chain is for)."""

from django.db import migrations

GENESIS = "0" * 64

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditentry_no_change ON audit_auditentry;
CREATE TRIGGER audit_auditentry_no_change BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only();
"""


def create_head(apps, schema_editor):
    head = apps.get_model("audit", "AuditChainHead")
    head.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS, "last_entry_id": 0})
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS audit_auditentry_no_change ON audit_auditentry;"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, drop_trigger)]

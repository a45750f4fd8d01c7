"""Seal the existing hash chain as the Merkle tree's first leaves, in id order, so nothing
already recorded is lost or re-dated (``ketacare audit verify`` keeps checking their old
chain links); the first ``ketacare audit seal`` signs a checkpoint over them (a migration
has no signing key). Then refuse changes at the engine:

- SQLite: triggers abort UPDATE and DELETE on the entries, leaves and checkpoints;
- PostgreSQL: the row trigger of migration 0002 on all three tables, plus a TRUNCATE trigger.

A database owner or superuser can still drop or disable them: that is what the signed
checkpoints outside the database are for (docs/adr/0002-audit-trail.md). The leaf encoding
is written out here, frozen, rather than imported: it must never change.
"""

import hashlib
import json

from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditleaf", "audit_auditcheckpoint")

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    for table in TABLES
    for verb in ("UPDATE", "DELETE")
]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

POSTGRES_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}; "
    f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only(); "
    f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}; "
    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_append_only();"
    for table in TABLES
]


def _leaf_hash(entry_id, entry_hash):
    # leaves.entry_bytes, version 1 (an entry of the old chain): its id and chain hash.
    data = json.dumps(
        {"v": 1, "id": entry_id, "entry_hash": entry_hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode()
    return hashlib.sha256(b"\x00" + data).hexdigest()


def seal_chain(apps, schema_editor):
    entry = apps.get_model("audit", "AuditEntry")
    leaf = apps.get_model("audit", "AuditLeaf")
    rows = entry.objects.order_by("id").values_list("id", "entry_hash")
    batch = []
    for index, (entry_id, entry_hash) in enumerate(rows.iterator(chunk_size=5000)):
        batch.append(leaf(index=index, entry_id=entry_id, leaf_hash=_leaf_hash(entry_id, entry_hash)))
        if len(batch) == 5000:
            leaf.objects.bulk_create(batch)
            batch = []
    leaf.objects.bulk_create(batch)


def refuse_changes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, None)  # no placeholders: % is plpgsql's
        for sql in POSTGRES_TRIGGERS:
            schema_editor.execute(sql)


def allow_changes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for verb in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        elif vendor == "postgresql" and table != "audit_auditentry":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def unseal(apps, schema_editor):
    raise RuntimeError("the audit log cannot be unsealed")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_merkle_log")]
    operations = [
        migrations.RunPython(seal_chain, unseal),
        migrations.DeleteModel(name="AuditChainHead"),
        migrations.RunPython(refuse_changes, allow_changes),
    ]

"""The Merkle log's tables: leaves, signed checkpoints, and the inserting transaction's id on
each entry; the old chain's columns become optional (new entries do not chain)."""

import django.db.models.deletion
import ketacare.audit.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_sign_in_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('tree_size', models.BigIntegerField(primary_key=True, serialize=False)),
                ('root_hash', models.CharField(max_length=64)),
                ('signed_at', models.DateTimeField()),
                ('note', models.TextField()),
                ('frontier', models.JSONField(default=list)),
                ('txid_floor', models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                'ordering': ['tree_size'],
            },
        ),
        migrations.CreateModel(
            name='AuditLeaf',
            fields=[
                ('index', models.BigIntegerField(primary_key=True, serialize=False)),
                ('leaf_hash', models.CharField(max_length=64)),
            ],
            options={
                'ordering': ['index'],
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='txid',
            field=ketacare.audit.models.TransactionIdField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='entry_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(condition=models.Q(('txid__isnull', False)), fields=['txid'], name='audit_entry_txid_idx'),
        ),
        migrations.AddField(
            model_name='auditleaf',
            name='entry',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='leaf', to='audit.auditentry'),
        ),
    ]

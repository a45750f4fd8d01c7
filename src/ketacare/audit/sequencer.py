"""The sequencer: integrates committed, unsealed audit entries into the Merkle tree and signs
a checkpoint (``ketacare audit seal``; ``ketacare serve`` and ``ketacare demo`` run it every
few seconds in the background, cron can too).

Which entries are safe to seal, per engine (docs/adr/0002-audit-trail.md):

- SQLite has one writer at a time (every KetaCare transaction is IMMEDIATE), so entries
  commit in id order, and the sequencer's own IMMEDIATE transaction sees every committed
  entry and none in flight: it seals every entry above the highest id already sealed.
- PostgreSQL commits concurrently, out of id order. Each entry records the id of the
  transaction that inserted it (``txid``). At the start of a run the sequencer reads its
  snapshot's xmin: every transaction below it has finished, so every entry that is still
  invisible (uncommitted) has ``txid >= xmin``. It seals every visible entry that has no
  leaf yet, and stores that xmin as the next run's floor: the next run looks only at
  entries with ``txid >=`` the floor that have no leaf. An entry that commits late (a lower
  id after a higher one) is sealed by the next run, after the higher one: the leaf order is
  the sequencer's, gapless, and nothing is ever passed over. The run holds an advisory lock
  so two sequencers never interleave.

Leaves, checkpoint row and frontier are written in one transaction; the checkpoint line is
appended to the file after it commits (and any line a crash left out is appended by the
next run).
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ketacare.audit import checkpoints, keys, merkle
from ketacare.audit.leaves import entry_bytes
from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf

# pg_advisory_xact_lock key: "KCAUDIT" as a number, so no other lock collides by accident.
SEQUENCER_LOCK = 0x4B4341554449_54
BATCH = 20_000  # entries per run at most, so one run's transaction stays short


@dataclass(frozen=True, slots=True)
class SealResult:
    sealed: int  # entries integrated in this run
    tree_size: int
    checkpoint: checkpoints.Checkpoint | None  # the checkpoint this run signed, if any
    more: bool = False  # the batch was full: run again


def _xmin(cursor) -> int:
    cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return int(cursor.fetchone()[0])


def _leaf_hashes(size: int) -> list[bytes]:
    rows = AuditLeaf.objects.filter(index__lt=size).order_by("index")
    return [bytes.fromhex(h) for h in rows.values_list("leaf_hash", flat=True).iterator(10_000)]


def seal(*, now: datetime | None = None, batch: int = BATCH) -> SealResult:
    """Integrate what is safe to integrate and sign a checkpoint of the new tree."""
    key = keys.signing_key()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        xmin = None
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEQUENCER_LOCK])
                xmin = _xmin(cursor)
        last = AuditCheckpoint.objects.order_by("-tree_size").first()
        top = AuditLeaf.objects.order_by("-index").values_list("index", flat=True).first()
        size = 0 if top is None else top + 1
        if last is not None and last.tree_size == size:
            frontier = [bytes.fromhex(h) for h in last.frontier]
        else:  # leaves the migration sealed from the old chain, not yet checkpointed
            frontier = merkle.frontier_of(_leaf_hashes(size))
        if postgres:
            floor = last.txid_floor if last is not None and last.txid_floor is not None else 0
            if floor > xmin:
                # The transaction counter went backwards: the database was restored into
                # another cluster. Look at every entry once; the new floor follows.
                floor = 0
            pending = AuditEntry.objects.filter(txid__gte=floor, leaf__isnull=True)
        else:
            floor = 0
            highest = AuditLeaf.objects.aggregate(m=Max("entry_id"))["m"] or 0
            pending = AuditEntry.objects.filter(pk__gt=highest)
        entries = list(pending.order_by("pk")[: batch + 1])
        more = len(entries) > batch
        entries = entries[:batch]
        if not entries and (size == 0 or (last is not None and last.tree_size == size)):
            signed = None
        else:
            leaves = []
            for offset, entry in enumerate(entries):
                digest = merkle.leaf_hash(entry_bytes(entry))
                leaves.append(
                    AuditLeaf(index=size + offset, entry_id=entry.pk, leaf_hash=digest.hex())
                )
                merkle.frontier_append(frontier, size + offset, digest)
            AuditLeaf.objects.bulk_create(leaves, batch_size=2000)
            size += len(leaves)
            signed = checkpoints.sign(
                key, size, merkle.frontier_root(frontier), now or timezone.now(), origin()
            )
            AuditCheckpoint(
                tree_size=size,
                root_hash=signed.root_hex,
                signed_at=signed.signed_at,
                note=signed.note,
                frontier=[h.hex() for h in frontier],
                txid_floor=(floor if more else xmin) if postgres else None,
            ).save(force_insert=True)
    sync_checkpoint_file()
    return SealResult(len(entries), size, signed, more)


def origin() -> str:
    from django.conf import settings

    return getattr(settings, "AUDIT_LOG_ORIGIN", "") or ""


def sync_checkpoint_file() -> int:
    """Append to the checkpoint file every checkpoint it does not have yet; the count."""
    path = keys.checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as out:
        fcntl.flock(out, fcntl.LOCK_EX)  # another sequencer on this host appends too
        try:
            have = int(json.loads(checkpoints.last_line(path) or "{}").get("tree_size", -1))
        except (ValueError, AttributeError):
            have = -1  # an unreadable last line: append all; verify reports the bad line
        missing = AuditCheckpoint.objects.filter(tree_size__gt=have).order_by("tree_size")
        written = 0
        for row in missing.iterator():
            record = {
                "tree_size": row.tree_size,
                "root_hash": row.root_hash,
                "time": checkpoints.format_time(row.signed_at),
                "note": row.note,
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            written += 1
        out.flush()
    return written


def run_sequencer(every: float, *, parent: int = 0) -> int:
    """Seal every ``every`` seconds until SIGTERM or SIGINT, or, given ``parent`` (the
    server that started it), until that process is gone."""
    import logging
    import os
    import signal
    import time

    from django.db import close_old_connections

    log = logging.getLogger(__name__)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    due = 0.0
    while not stopping:
        if parent and os.getppid() != parent:
            break  # the server stopped (or was killed): do not outlive it
        if time.monotonic() >= due:
            more = False
            try:
                more = seal().more
            except Exception:  # a database restart, say: keep going, say why
                log.exception("audit sequencer: sealing failed; trying again")
                close_old_connections()
            due = time.monotonic() + (0 if more else every)
        time.sleep(min(0.2, every))
    return 0

"""``ketacare audit verify``: the whole log checked against its signed checkpoints.

What is checked, in leaf order, stopping at the first problem:

1. every checkpoint (each line of the checkpoint file, each row of the database's copy) is
   signed by the log's public key, and no two checkpoints sign different roots for one size;
2. every leaf is where it should be (indexes 0, 1, 2, ... with no gap: a gap is a deleted
   entry, named by its position) and its entry still exists (a missing one is named, with its
   position);
3. every entry still hashes to its leaf (an edited entry is named); entries from the old hash
   chain also still match their chain hash and link to their predecessor;
4. the tree recomputed from the entries themselves has, at every checkpoint's size, the root
   that checkpoint signed: a log rewritten and rehashed (leaves recomputed to match edited
   entries) fails here, and a later checkpoint that matches an earlier one that does not
   means the log was rewritten and re-signed (successive checkpoints are inconsistent);
5. the log is at least as long as the newest checkpoint: a truncated tail and a wholly
   emptied log are named.

Entries not yet covered by a checkpoint are listed as unsealed, not as problems: nothing
signed vouches for them yet (docs/adr/0002-audit-trail.md says what that leaves open).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketacare.audit import checkpoints, keys, merkle
from ketacare.audit.checkpoints import Checkpoint, CheckpointError
from ketacare.audit.leaves import GENESIS_HASH, chain_fingerprint, entry_bytes, is_chained
from ketacare.audit.models import AuditCheckpoint, AuditEntry, AuditLeaf

CHUNK = 5000


@dataclass(frozen=True, slots=True)
class LogProblem:
    code: str  # forged_checkpoint, inconsistent_checkpoints, deleted_entry, edited_entry,
    # broken_chain, rewritten_log, truncated_log, emptied_log, no_public_key
    message: str
    entry_id: int | None = None
    leaf_index: int | None = None


@dataclass(frozen=True, slots=True)
class LogVerification:
    problem: LogProblem | None
    checked: int  # leaves checked against their entries
    tree_size: int  # leaves found
    checkpoint: Checkpoint | None  # the newest signed checkpoint
    checkpoints: int  # distinct signed checkpoints checked
    unsealed: tuple[int, ...]  # entry ids no signed checkpoint covers yet
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Failed(Exception):
    def __init__(self, problem: LogProblem) -> None:
        self.problem = problem


def _fail(code: str, message: str, entry_id: int | None = None, leaf: int | None = None):
    raise _Failed(LogProblem(code, message, entry_id, leaf))


def _when(checkpoint: Checkpoint) -> str:
    return checkpoints.format_time(checkpoint.signed_at)


def _collect_checkpoints(path: Path, given: bool, key, notes: list[str]) -> dict[int, Checkpoint]:
    found: dict[int, Checkpoint] = {}

    def add(checkpoint: Checkpoint, where: str) -> None:
        same = found.get(checkpoint.tree_size)
        if same is not None and same.root != checkpoint.root:
            _fail(
                "inconsistent_checkpoints",
                f"two different roots were signed for {checkpoint.tree_size} leaves "
                f"({where} and an earlier one): the log was forked or re-signed",
            )
        found.setdefault(checkpoint.tree_size, checkpoint)

    if path.exists():
        for number, item in checkpoints.read_file(path, key):
            if isinstance(item, str):
                _fail("forged_checkpoint", f"checkpoint file {path}, line {number}: {item}")
            add(item, f"line {number} of {path}")
    elif given:
        _fail("no_checkpoint_file", f"checkpoint file {path} not found")
    else:
        notes.append(f"no checkpoint file at {path}: checked against the database's own copy")
    for row in AuditCheckpoint.objects.order_by("tree_size").iterator():
        where = f"the database's checkpoint for {row.tree_size} leaves"
        try:
            checkpoint = checkpoints.verify_note(row.note, key)
        except CheckpointError as exc:
            _fail("forged_checkpoint", f"{where}: {exc}")
        if checkpoint.tree_size != row.tree_size or checkpoint.root_hex != row.root_hash:
            _fail("forged_checkpoint", f"{where} differs from the note it claims to be signed")
        add(checkpoint, where)
    return found


def verify_log(
    *, checkpoint_file: Path | None = None, public_key_file: Path | None = None
) -> LogVerification:
    """Check the log; ``checkpoint_file`` (default: the configured one) may be a copy kept
    elsewhere, ``public_key_file`` the published public key."""
    notes: list[str] = []
    path = checkpoint_file or keys.checkpoint_file()
    key_path = public_key_file or keys.public_key_path()
    state = {"checked": 0, "size": 0, "checkpoints": {}}
    try:
        if key_path.exists():
            key = checkpoints.load_public_key(key_path)
            state["checkpoints"] = _collect_checkpoints(
                path, checkpoint_file is not None, key, notes
            )
        elif AuditCheckpoint.objects.exists() or path.exists() or public_key_file:
            _fail("no_public_key", f"the log's public key {key_path} was not found")
        else:
            notes.append("no checkpoint has been signed yet")
        _check_leaves(state)
    except _Failed as failed:
        return _result(failed.problem, state, notes)
    return _result(None, state, notes)


def _result(problem: LogProblem | None, state: dict, notes: list[str]) -> LogVerification:
    found: dict[int, Checkpoint] = state["checkpoints"]
    newest = found[max(found)] if found else None
    covered = newest.tree_size if newest else 0
    unsealed = list(
        AuditEntry.objects.filter(leaf__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    unsealed += AuditLeaf.objects.filter(index__gte=covered).values_list("entry_id", flat=True)
    return LogVerification(
        problem,
        state["checked"],
        state["size"],
        newest,
        len(found),
        tuple(sorted(unsealed)),
        tuple(notes),
    )


def _check_leaves(state: dict) -> None:
    found: dict[int, Checkpoint] = state["checkpoints"]
    sizes = sorted(found)
    pending = iter(sizes)
    due = next(pending, None)
    frontier: list[bytes] = []
    chain = GENESIS_HASH
    position = 0
    matched = 0  # size of the newest checkpoint the recomputed tree matched
    mismatch: Checkpoint | None = None

    def at_checkpoint() -> None:
        nonlocal due, matched, mismatch
        while due is not None and due == position:
            checkpoint = found[due]
            if merkle.frontier_root(frontier) == checkpoint.root:
                if mismatch is not None:
                    _fail(
                        "inconsistent_checkpoints",
                        f"the checkpoint for {checkpoint.tree_size} leaves (signed "
                        f"{_when(checkpoint)}) matches the log but the earlier one for "
                        f"{mismatch.tree_size} leaves (signed {_when(mismatch)}) does not: "
                        "the log was rewritten and signed again with the log's key",
                    )
                matched = due
            elif mismatch is None:
                mismatch = checkpoint
            due = next(pending, None)

    def rewritten() -> None:
        assert mismatch is not None
        _fail(
            "rewritten_log",
            f"the entries at leaves {matched} to {mismatch.tree_size - 1} no longer hash to the "
            f"root signed {_when(mismatch)} for {mismatch.tree_size} leaves: they were "
            "rewritten and rehashed after that checkpoint",
            leaf=matched,
        )

    at_checkpoint()
    leaves = AuditLeaf.objects.order_by("index").values_list("index", "entry_id", "leaf_hash")
    last_index = -1
    while True:
        chunk = list(leaves.filter(index__gt=last_index)[:CHUNK])
        if not chunk:
            break
        last_index = chunk[-1][0]
        entries = AuditEntry.objects.in_bulk([entry_id for _, entry_id, _ in chunk])
        for index, entry_id, stored in chunk:
            try:
                if index != position:
                    _fail(
                        "deleted_entry",
                        f"leaf {position} is missing: the entry sealed there was deleted "
                        "together with its leaf",
                        leaf=position,
                    )
                entry = entries.get(entry_id)
                if entry is None:
                    _fail(
                        "deleted_entry",
                        f"entry #{entry_id} (leaf {index}) was deleted",
                        entry_id,
                        index,
                    )
                digest = merkle.leaf_hash(entry_bytes(entry))
                if digest.hex() != stored:
                    _fail(
                        "edited_entry",
                        f"entry #{entry_id} (leaf {index}) was changed after it was sealed",
                        entry_id,
                        index,
                    )
                if is_chained(entry):
                    if entry.prev_hash != chain:
                        _fail(
                            "broken_chain",
                            f"entry #{entry_id} (leaf {index}): its link to the previous "
                            "chained entry does not match (an entry before it was changed "
                            "or removed)",
                            entry_id,
                            index,
                        )
                    if chain_fingerprint(entry) != entry.entry_hash:
                        _fail(
                            "edited_entry",
                            f"entry #{entry_id} (leaf {index}): its content was changed",
                            entry_id,
                            index,
                        )
                    chain = entry.entry_hash
            except _Failed:
                if mismatch is not None:
                    rewritten()
                raise
            merkle.frontier_append(frontier, position, digest)
            position += 1
            state["checked"] = position
            at_checkpoint()
    state["size"] = position
    if mismatch is not None and mismatch.tree_size <= position:
        rewritten()
    newest = found[sizes[-1]] if sizes else None
    if newest is not None and newest.tree_size > position:
        if position == 0 and not AuditEntry.objects.exists():
            _fail(
                "emptied_log",
                f"the log is empty, but the checkpoint signed {_when(newest)} covers "
                f"{newest.tree_size} entries: it was emptied",
            )
        _fail(
            "truncated_log",
            f"the log ends after {position} leaves, but the checkpoint signed "
            f"{_when(newest)} covers {newest.tree_size}: leaves {position} to "
            f"{newest.tree_size - 1} were removed from its tail",
            leaf=position,
        )

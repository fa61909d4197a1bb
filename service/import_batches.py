"""Cutting a stream of rows into batches of whole recoveries, and deciding, for each
recovery of a batch, whether it lands, was imported before, or is rejected.

Memory stays flat: a batch holds a bounded number of rows, and of the recoveries already
passed only a 64-bit digest of their keys is kept, to tell a recovery whose rows are
apart in the file (which would otherwise land twice, or half).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from service.domain.access import Actor
from service.domain.import_fields import ReadingRules
from service.domain.import_rows import (
    ReadRow,
    RecoveryRows,
    RowProblem,
    SourceRow,
    build_recovery,
    read_row,
)
from service.domain.imports import ImportCounts
from service.domain.ports.imports import ImportedKey
from service.domain.recovery import MAX_ITEMS, Recovery
from service.domain.reference import ReferenceCatalogue

# Rows per batch: one transaction, one audit event, one registry check and one linking
# message per registry. Large enough that per-batch costs vanish, small enough that a
# kill loses little and the outbox's handlers take a batch in a few seconds.
BATCH_ROWS: Final = 1000
RECOVERY_KEY: Final = "recovery:"


@dataclass
class Batch:
    """A batch as read: recoveries' rows, and problems of lines that were not rows."""

    groups: list[RecoveryRows] = field(default_factory=list)
    # Recoveries whose rows were apart in the file: key -> rows (rejected as a whole).
    apart: list[RecoveryRows] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0

    def lines(self) -> list[int]:
        lines = [row.line for g in (*self.groups, *self.apart) for row in g.rows]
        return lines + [p.line for p in self.problems]


def batches(
    rows: Iterator[SourceRow | RowProblem], rules: ReadingRules, *, size: int = BATCH_ROWS
) -> Iterator[Batch]:
    """Batches of about `size` rows, cut between recoveries. A recovery holds the rows
    next to each other that share its key; more than MAX_ITEMS rows are refused one by
    one without being kept."""
    closed: set[int] = set()
    batch = Batch()
    group: RecoveryRows | None = None

    def close() -> None:
        nonlocal group
        if group is not None:
            closed.add(_digest(group.key))
            group = None

    for row in rows:
        if isinstance(row, RowProblem):
            batch.problems.append(row)
            batch.rows += 1
            continue
        read = read_row(row, rules)
        key = read.recovery_key
        if group is None or group.key != key:
            close()
            if batch.rows >= size:
                yield batch
                batch = Batch()
        batch.rows += 1
        if not key:
            batch.problems.extend(read.problems)
            continue
        if group is None:
            group = RecoveryRows(key)
            (batch.apart if _digest(key) in closed else batch.groups).append(group)
        if len(group.rows) > MAX_ITEMS:
            batch.problems.append(
                RowProblem(read.line, "", f"recovery {key!r} has more than {MAX_ITEMS} rows")
            )
            continue
        group.rows.append(read)
    if batch.rows:
        yield batch


def _digest(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    )


@dataclass
class Prepared:
    """A batch whose recoveries were built and checked; `keys` every key to look up."""

    batch: Batch
    built: list[tuple[RecoveryRows, Recovery]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def keys(self) -> list[str]:
        keys = []
        for group, _ in self.built:
            keys.append(RECOVERY_KEY + group.key)
            keys += [row.key for row in group.rows]
        return keys

    def recovery_ids(self) -> list[UUID]:
        """The recovery keys that are ids, as an export writes them: recoveries this
        database may hold already, imported or recorded."""
        return [i for i in (_as_id(group.key) for group, _ in self.built) if i is not None]


def held_keys(
    prepared: Prepared, held: Mapping[UUID, frozenset[UUID]]
) -> dict[str, tuple[UUID, None]]:
    """The keys of rows that name, by their ids, a recovery the agency holds and its
    items: an export of this database read back, which holds them already."""
    keys: dict[str, tuple[UUID, None]] = {}
    for group, _ in prepared.built:
        recovery_id = _as_id(group.key)
        if recovery_id is None or recovery_id not in held:
            continue
        keys[RECOVERY_KEY + group.key] = (recovery_id, None)
        for row in group.rows:
            if _as_id(str(row.values.get("item_key") or "")) in held[recovery_id]:
                keys[row.key] = (recovery_id, None)
    return keys


def _as_id(key: str) -> UUID | None:
    """The id a key spells as tracedesk writes ids, else None."""
    try:
        found = UUID(key)
    except ValueError:
        return None
    return found if str(found) == key.lower() else None


def prepare(
    batch: Batch,
    *,
    agency_id: UUID,
    by: Actor,
    now: datetime,
    new_id: Callable[[], UUID],
    catalogue: ReferenceCatalogue,
) -> Prepared:
    """Build every recovery of the batch with the domain's rules (CPU only: no I/O)."""
    prepared = Prepared(batch, problems=list(batch.problems))
    for group in batch.apart:
        prepared.problems += [
            RowProblem(
                row.line,
                "recovery_key",
                f"recovery {group.key!r} has rows above that are not next to these: "
                "a recovery's rows must be next to each other",
            )
            for row in group.rows
        ]
    for group in batch.groups:
        built = build_recovery(
            group,
            recovery_id=new_id(),
            agency_id=agency_id,
            by=by,
            now=now,
            new_id=new_id,
            catalogue=catalogue,
        )
        prepared.problems += built.problems
        if built.recovery is not None:
            prepared.built.append((group, built.recovery))
    return prepared


@dataclass
class Outcome:
    """What a batch does: the recoveries that land with their keys, the rows reported,
    and the counts."""

    recoveries: list[Recovery] = field(default_factory=list)
    keys: list[ImportedKey] = field(default_factory=list)
    landed_rows: list[ReadRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    counts: ImportCounts = ImportCounts()


def decide(
    prepared: Prepared, known: Mapping[str, tuple[UUID, UUID | None]], *, import_id: UUID
) -> Outcome:
    """Land recoveries never imported; count rows imported before (by this job too, when
    it runs again after a stop) or held already (`held_keys`); reject rows new to a
    recovery held already (a recovery is corrected, not imported twice)."""
    outcome = Outcome(problems=list(prepared.problems))
    ours = already = 0
    for group, recovery in prepared.built:
        earlier = known.get(RECOVERY_KEY + group.key)
        if earlier is None:
            outcome.recoveries.append(recovery)
            outcome.keys.append(ImportedKey(RECOVERY_KEY + group.key, recovery.id))
            outcome.keys += [ImportedKey(row.key, recovery.id) for row in group.rows]
            outcome.landed_rows += group.rows
            continue
        recovery_id, by_import = earlier
        for row in group.rows:
            if row.key in known:
                if known[row.key][1] == import_id:
                    ours += 1
                else:
                    already += 1
            else:
                outcome.problems.append(
                    RowProblem(
                        row.line,
                        "",
                        f"recovery {group.key!r} is held already ({recovery_id}) without "
                        "this row: add the item to it with a correction",
                    )
                )
    rejected = len({p.line for p in outcome.problems})
    outcome.counts = ImportCounts(
        rows_read=prepared.batch.rows,
        rows_imported=len(outcome.landed_rows) + ours,
        rows_already_imported=already,
        rows_rejected=rejected,
        recoveries_imported=len(outcome.recoveries),
        batches=1,
    )
    outcome.problems.sort(key=lambda p: (p.line, p.field))
    return outcome


def rows_digest(rows: Sequence[ReadRow]) -> str:
    """The SHA-256 of a batch's rows: of each row's content digest, in file order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.digest.encode())
    return digest.hexdigest()

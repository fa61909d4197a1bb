#!/usr/bin/env python3
"""Check a `tracedesk audit export` file without tracedesk: Python's standard library only.

Give this file to whoever must trust the trail (a court's expert, an inspector, a partner
agency). It recomputes every event's hash, SHA-256 of "previous hash|sequence|payload",
and checks that the sequence has no gaps, that each event names its predecessor's hash,
and that the chain ends at the head written at the end of the export. With --anchor it
also checks that a head recorded earlier (from GET /api/v1/audit/head) is still part of
the chain, i.e. that nothing up to it was rewritten.

    python3 verify-audit-export.py audit.ndjson [--anchor SEQ:HASH]

Exit status 0 when the export verifies, 1 when it does not (the first break is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

GENESIS = "0" * 64


def verify(lines: list[str], anchor: tuple[int, str] | None) -> str | None:
    """The first problem found, or None."""
    if not lines:
        return "the export is empty"
    try:
        head = json.loads(lines[-1])["head"]
    except (ValueError, KeyError, TypeError):
        return "the last line is not the head ({'head': {'seq': ..., 'hash': ...}})"
    previous_seq, previous_hash = 0, GENESIS
    for number, line in enumerate(lines[:-1], start=1):
        try:
            event = json.loads(line)
            seq, payload = int(event["seq"]), event["payload"]
            prev_hash, stored_hash = event["prev_hash"], event["hash"]
        except (ValueError, KeyError, TypeError):
            return f"line {number} is not an exported event"
        if seq != previous_seq + 1:
            return f"event {previous_seq + 1} is missing (line {number} holds {seq})"
        if prev_hash != previous_hash:
            return f"event {seq} does not follow event {previous_seq} (reordered or replaced)"
        digest = hashlib.sha256(f"{prev_hash}|{seq}|{payload}".encode()).hexdigest()
        if digest != stored_hash:
            return f"event {seq} was changed: its content does not match its hash"
        if anchor is not None and seq == anchor[0] and stored_hash != anchor[1]:
            return f"event {seq} differs from the anchored head: history before it was rewritten"
        previous_seq, previous_hash = seq, stored_hash
    if (previous_seq, previous_hash) != (head.get("seq"), head.get("hash")):
        return f"the chain ends at {previous_seq} but the export's head is {head}"
    if anchor is not None and anchor[0] > previous_seq:
        return f"the anchored head {anchor[0]} lies beyond the end of the chain ({previous_seq})"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the NDJSON file written by `tracedesk audit export`")
    parser.add_argument("--anchor", help="a head recorded earlier, as SEQ:HASH")
    arguments = parser.parse_args()
    anchor = None
    if arguments.anchor:
        seq, _, digest = arguments.anchor.partition(":")
        anchor = (int(seq), digest.lower())
    with open(arguments.export, encoding="utf-8") as export:
        lines = [line for line in export.read().splitlines() if line.strip()]
    problem = verify(lines, anchor)
    if problem:
        print(f"NOT VERIFIED: {problem}", file=sys.stderr)
        return 1
    head = json.loads(lines[-1])["head"]
    print(f"verified: {len(lines) - 1} events, head {head['seq']} {head['hash']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

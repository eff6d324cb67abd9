"""Evidence tools.

    python -m alerts.evidence verify FOLDER [FOLDER ...] [--event EVENT_ID] [--code CODE] [--config configs/demo.yaml]
    python -m alerts.evidence prune [--config configs/demo.yaml] [--database-url URL] [--keep EVENT_ID ...]

A FOLDER may also be an unpacked case export: its evidence/ and record/ are each verified.
verify exits 1 when any file or manifest was altered, a file was added, or the manifest is
another event's (the folder's place in the evidence store, or --event, names the event); with --code,
also when the verification code printed on a case sheet (督办单) is not this evidence's. The key
comes from HALLWATCH_EVIDENCE_KEY or the config's evidence.hmac_key. prune deletes evidence older than evidence.retention_days,
except that of every alert not yet closed in the alert store (and of any --keep id).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from configs.loader import load_or_exit
from streams.evidence.manifest import MANIFEST, case_code, resolve_key, same_code, verify
from streams.evidence.storage import LocalEvidenceStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alerts.evidence", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["verify", "prune"])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--keep", nargs="*", default=[], help="more event ids to keep")
    parser.add_argument("--event", help="verify: the event id the case must belong to")
    parser.add_argument("--code", help="verify: the verification code printed on the case sheet (督办单)")
    parser.add_argument("--database-url", help="the alert store (default: alerts.database_url)")
    args = parser.parse_args(argv)
    cfg = load_or_exit(args.config)
    if args.command == "prune":
        from alerts.store.alerts import AlertStore
        from alerts.store.database import Database

        url = args.database_url or cfg.alerts.database_url
        keep = AlertStore(Database.open(url)).under_review() | set(args.keep)
        removed = LocalEvidenceStore(cfg.evidence.root).prune(cfg.evidence.retention_days, keep)
        print(f"removed {len(removed)} evidence folders")
        return 0
    try:
        key = resolve_key(cfg.evidence.hmac_key)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    root = Path(cfg.evidence.root).resolve()
    failed = 0
    for folder in [signed for given in args.folders for signed in _signed_folders(given)]:
        problems = verify(folder, key, _binding(folder, root, args.event))
        if args.code and folder.name != "record" and not problems and not same_code(args.code, case_code(folder, key)):
            problems.append("the case sheet's verification code is not this evidence's")
        if problems:
            failed += 1
            print(f"FAILED {folder}")
            for p in problems:
                print(f"  - {p}")
        else:
            print(f"ok     {folder}")
    return 1 if failed else 0


def _signed_folders(folder: Path) -> list[Path]:
    """The signed folders ``folder`` stands for: itself when it holds a manifest; an unpacked case
    export (its evidence/ and record/, each signed) otherwise."""
    if (folder / MANIFEST).exists():
        return [folder]
    parts = [folder / name for name in ("evidence", "record") if (folder / name / MANIFEST).exists()]
    return parts or [folder]


def _binding(folder: Path, root: Path, event_id: str | None) -> dict:
    """What the manifest must be about: --event, and inside the evidence root the event and hall
    that the folder's place names (<day>/<hall>/<event id>/)."""
    expect = {"event_id": event_id} if event_id else {}
    try:
        parts = folder.resolve().relative_to(root).parts
    except ValueError:
        return expect
    if len(parts) == 3:
        expect.setdefault("event_id", parts[2])
        expect["hall_id"] = parts[1]
    return expect


if __name__ == "__main__":
    sys.exit(main())

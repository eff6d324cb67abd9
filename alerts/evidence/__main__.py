"""Evidence tools.

    python -m alerts.evidence verify FOLDER [FOLDER ...] [--event EVENT_ID] [--code CODE]
                                     (--key-file FILE | HALLWATCH_EVIDENCE_KEY=… | --config CONFIG)
    python -m alerts.evidence prune [--config configs/demo.yaml] [--database-url URL] [--keep EVENT_ID ...]

A FOLDER may also be an unpacked case export: its evidence/ and record/ are each verified.
verify exits 1 when any file or manifest was altered, a file was added, or the manifest is
another event's (the folder's place in the evidence store, or --event, names the event); with --code,
also when the verification code printed on a case sheet (督办单) is not this evidence's. The key
is required and verify says where it came from: --key-file (the file's text), else
HALLWATCH_EVIDENCE_KEY, else the evidence.hmac_key of the --config named (never a default config:
a demo key that verifies proves nothing). prune deletes evidence older than evidence.retention_days,
except that of every alert not yet closed in the alert store (and of any --keep id).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

from configs.env import ENV_EVIDENCE_KEY
from configs.loader import load_or_exit
from streams.evidence.manifest import MANIFEST, case_code, resolve_key, same_code, verify
from streams.evidence.storage import LocalEvidenceStore

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alerts.evidence", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["verify", "prune"])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument(
        "--config",
        help="the config (verify: its evidence.hmac_key and evidence.root; prune: default configs/demo.yaml)",
    )
    parser.add_argument("--key-file", type=Path, help="verify: a file holding the signing key")
    parser.add_argument("--keep", nargs="*", default=[], help="more event ids to keep")
    parser.add_argument("--event", help="verify: the event id the case must belong to")
    parser.add_argument("--code", help="verify: the verification code printed on the case sheet (督办单)")
    parser.add_argument("--database-url", help="the alert store (default: alerts.database_url)")
    args = parser.parse_args(argv)
    return _verify(args) if args.command == "verify" else _prune(args)


def _prune(args: argparse.Namespace) -> int:
    from alerts.store.alerts import AlertStore
    from alerts.store.database import Database

    config = args.config or str(DEMO_CONFIG)
    print(f"config: {config}", file=sys.stderr)
    cfg = load_or_exit(config)
    url = args.database_url or cfg.alerts.database_url
    keep = AlertStore(Database.open(url)).under_review() | set(args.keep)
    removed = LocalEvidenceStore(cfg.evidence.root).prune(cfg.evidence.retention_days, keep)
    print(f"removed {len(removed)} evidence folders")
    return 0


def _demo_key() -> bytes:
    """The signing key the demo's config publishes (anyone can sign with it)."""
    return str(yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))["evidence"]["hmac_key"]).encode()


def _key(args: argparse.Namespace) -> tuple[bytes, str]:
    """The signing key and where it came from, in the order --key-file, the environment, --config."""
    if args.key_file:
        text = args.key_file.read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"{args.key_file} is empty")
        return text.encode(), f"--key-file {args.key_file}"
    if os.environ.get(ENV_EVIDENCE_KEY):
        return resolve_key(os.environ[ENV_EVIDENCE_KEY]), ENV_EVIDENCE_KEY
    if args.config:
        cfg = load_or_exit(args.config)
        return resolve_key(cfg.evidence.hmac_key), f"evidence.hmac_key of {args.config}"
    raise ValueError(f"no signing key: give --key-file FILE, set {ENV_EVIDENCE_KEY}, or name the --config that signed")


def _verify(args: argparse.Namespace) -> int:
    try:
        key, source = _key(args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"key: {source}", file=sys.stderr)
    if key == _demo_key():
        print("warning: this is the demo's published key: a folder it verifies proves nothing", file=sys.stderr)
    root = Path(load_or_exit(args.config).evidence.root).resolve() if args.config else None  # binds by place
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


def _binding(folder: Path, root: Path | None, event_id: str | None) -> dict:
    """What the manifest must be about: --event, and inside the evidence root the event and hall
    that the folder's place names (<day>/<hall>/<event id>/)."""
    expect = {"event_id": event_id} if event_id else {}
    if root is None:
        return expect
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

"""The absence register (去向公开) as an append-only JSON-lines file, and its CLI.

    python -m streams.absence_book add --hall H --window W --from ISO --until ISO \\
        --reason 到县局开会 --by 张三 [--person 李四] [--zone POST_ZONE] [--file PATH]
    python -m streams.absence_book list [--hall H] [--file PATH]
    python -m streams.absence_book cancel ID [--by NAME] [--file PATH]

With ``--kafka BOOTSTRAP`` (``add`` and ``cancel``) the absence goes to the absences topic that
every pipeline worker and the alerting service follow, instead of the local file (which remains
an import/export format for a single host).

The running pipeline re-reads the file when it changes, so a registration takes effect within a
second. Records are never rewritten: a cancellation is a new line.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import uuid
from datetime import datetime
from pathlib import Path

from configs.env import state_dir
from domain.events import Absence
from streams.absence_record import absence_of, check, from_record, to_record

__all__ = ["Absence", "AbsenceBook", "absence_of", "check", "from_record", "to_record"]
DEFAULT_FILE = state_dir() / "absences.jsonl"
log = logging.getLogger(__name__)


class AbsenceBook:
    def __init__(self, path: str | Path = DEFAULT_FILE):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._cache: list[Absence] = []

    def add(self, absence: Absence) -> Absence:
        self._append(to_record(absence))
        return absence

    def cancel(self, absence_id: str, by: str) -> None:
        self._append({"op": "cancel", "id": absence_id, "by": by, "at": datetime.now().astimezone().isoformat()})

    def _append(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def all(self) -> list[Absence]:
        """Current absences; re-read only when the file changed."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        stamp = (stat.st_mtime, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._cache = self._read()
                self._stamp = stamp
            return self._cache

    def _read(self) -> list[Absence]:
        records: dict[str, Absence] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                if isinstance(r, dict) and r.get("op") == "cancel":
                    records.pop(str(r.get("id")), None)
                    continue
                absence = from_record(line)
            except ValueError as error:  # BadMessage too: a bad line is skipped, never applied
                log.warning("%s: a line skipped: %s", self.path, error)
                continue
            records[absence.id] = absence
        return list(records.values())


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset, e.g. 2026-03-02T10:00+08:00")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streams.absence_book", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--kafka", metavar="BOOTSTRAP", help="publish to the absences topic at this broker")
    parser.add_argument("--topic", default="hallwatch.absences", help="the absences topic (with --kafka)")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add")
    add.add_argument("--hall", required=True)
    add.add_argument("--window")
    add.add_argument("--zone", help="one post zone instead of the window's posts")
    add.add_argument("--person")
    add.add_argument("--from", dest="start", required=True, type=_aware)
    add.add_argument("--until", dest="end", required=True, type=_aware)
    add.add_argument("--reason", required=True)
    add.add_argument("--by", required=True, help="who registers it")
    listing = sub.add_parser("list")
    listing.add_argument("--hall")
    cancel = sub.add_parser("cancel")
    cancel.add_argument("id")
    cancel.add_argument("--by", default="cli")
    args = parser.parse_args(argv)
    book = AbsenceBook(args.file)
    if args.command == "add":
        absence = Absence(
            uuid.uuid4().hex[:12],
            args.hall,
            args.start,
            args.end,
            args.reason,
            args.by,
            args.window,
            args.zone,
            args.person,
        )
        try:
            if args.kafka:
                from streams.absence_feed import publish_absence

                publish_absence(args.kafka, args.topic, absence)
            else:
                book.add(absence)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(absence.id)
    elif args.command == "list":
        for a in book.all():
            if args.hall in (None, a.hall_id):
                print(
                    json.dumps(
                        {"id": a.id, "hall": a.hall_id, "window": a.window_id, "zone": a.zone_id, **a.describe()},
                        ensure_ascii=False,
                    )
                )
    elif args.kafka:
        from streams.absence_feed import cancel_absence

        cancel_absence(args.kafka, args.topic, args.id)
    else:
        book.cancel(args.id, args.by)
    return 0


if __name__ == "__main__":
    sys.exit(main())

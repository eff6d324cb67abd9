"""User administration for the console (no default users, no default passwords).

    python -m alerts.users add NAME --role operator|discipline_officer|admin --region REGION_ID
                               [--name 显示名] [--config site.yaml]      # password from stdin or a prompt
    python -m alerts.users list [--config site.yaml]
"""
from __future__ import annotations

import argparse
import getpass
import sys

from alerts.auth import ROLES, Users
from alerts.store import AlertStore
from configs.loader import load_or_exit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alerts.users", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["add", "list"])
    parser.add_argument("username", nargs="?")
    parser.add_argument("--role", choices=ROLES)
    parser.add_argument("--region")
    parser.add_argument("--name", default="")
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    cfg = load_or_exit(args.config)
    url = args.database_url or cfg.alerts.database_url
    users = Users(AlertStore(url), cfg)
    if args.command == "list":
        for user in users.all():
            print(f"{user.username}\t{user.role}\t{user.region_id}\t{user.display_name}")
        return 0
    if not (args.username and args.role and args.region):
        parser.error("add needs NAME, --role and --region")
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")
    try:
        users.add(args.username, password, args.role, args.region, args.name)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"added {args.username} ({args.role}, {args.region})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

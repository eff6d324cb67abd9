"""User administration for the console (no default users, no default passwords).

python -m alerts.users add NAME --role operator|discipline_officer|admin --region REGION_ID
                           [--name 显示名] [--config site.yaml]      # password from stdin or a prompt
python -m alerts.users add NAME --role hall_manager --hall HALL_ID --name 显示名   # a hall's manager
python -m alerts.users list [--config site.yaml]
python -m alerts.users passwd NAME       # a new password (stdin or a prompt); ends the user's sessions
python -m alerts.users disable NAME      # no more logins; ends the user's sessions at once
python -m alerts.users enable NAME
python -m alerts.users logout NAME       # ends every session of the user ("log out everywhere")
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.engine import make_url

from alerts.access.auth import ROLES, Users
from alerts.access.sessions import Sessions
from alerts.store.database import Database
from configs.loader import load_or_exit

COMMANDS = ["add", "list", "passwd", "disable", "enable", "logout"]


def _password() -> str:
    return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alerts.users", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("username", nargs="?")
    parser.add_argument("--role", choices=ROLES)
    parser.add_argument("--region")
    parser.add_argument("--hall", help="a hall_manager's hall (its region is taken from the config)")
    parser.add_argument("--name", default="")
    parser.add_argument("--config", default="configs/demo.yaml")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    cfg = load_or_exit(args.config)
    url = args.database_url or cfg.alerts.database_url
    # Which store this is, always: a mistyped --config must not look like an empty user list.
    print(f"database: {make_url(url).render_as_string(hide_password=True)} (config {args.config})", file=sys.stderr)
    users = Users(Database.open(url), cfg)
    if args.command == "list":
        for user in users.all():
            state = "disabled" if user.disabled else "active"
            scope = user.hall_id or user.region_id
            print(f"{user.username}\t{user.role}\t{scope}\t{state}\t{user.display_name}")
        return 0
    if not args.username:
        parser.error(f"{args.command} needs NAME")
    try:
        if args.command == "add":
            if not (args.role and (args.region or args.hall)):
                parser.error("add needs NAME, --role and --region (a hall_manager: --hall)")
            if args.role == "hall_manager" and not args.name:
                parser.error("a hall_manager needs --name: the 督办单 names them")
            users.add(args.username, _password(), args.role, args.region, args.name, args.hall)
            print(f"added {args.username} ({args.role}, {args.hall or args.region})")
            return 0
        sessions = Sessions(cfg, users)
        if args.command == "passwd":
            users.set_password(args.username, _password())
            ended = sessions.revoke_user(args.username, "password_changed")
        elif args.command in ("disable", "enable"):
            users.set_disabled(args.username, args.command == "disable")
            ended = sessions.revoke_user(args.username, "disabled") if args.command == "disable" else 0
        else:
            ended = sessions.revoke_user(args.username, "admin_logout")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyError:
        print(f"error: no user {args.username!r}", file=sys.stderr)
        return 2
    print(f"{args.command} {args.username}: done, {ended} session(s) ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())

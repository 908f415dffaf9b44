"""Operator commands: `python -m backend.cli migrate | seed-demo | create-admin | check-api`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from backend.config import get_settings
from backend.db import create_db_engine, unit_of_work, upgrade_database


def cmd_migrate(_args: argparse.Namespace) -> int:
    upgrade_database(get_settings().database_url)
    print("Database is at the latest schema.")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from backend.services import demo_service

    settings = get_settings()
    upgrade_database(settings.database_url)
    engine = create_db_engine(settings.database_url)
    with unit_of_work(engine) as db:
        result = demo_service.seed_demo(db, password=args.password)
    print("Demo data is ready." if not result.created else f"Created: {', '.join(result.created)}.")
    print(f"Section join code: {result.join_code}")
    for username in (result.teacher.username, result.student.username):
        password = result.new_passwords.get(username)
        shown = password if password else "(unchanged; it was shown when the account was created)"
        print(f"  log in as {username:<14} password: {shown}")
    return 0


ADMIN_PASSWORD_ENV = "ADMIN_PASSWORD"


def _admin_password(args: argparse.Namespace) -> str:
    """From --password-file ("-" reads standard input), else $ADMIN_PASSWORD, else asked twice
    at the terminal without echo. Never printed."""
    if args.password_file:
        text = (
            sys.stdin.read()
            if args.password_file == "-"
            else Path(args.password_file).read_text(encoding="utf-8")
        )
        return text.splitlines()[0] if text else ""
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    password = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise SystemExit("The two passwords differ; nothing was created.")
    return password


def cmd_create_admin(args: argparse.Namespace) -> int:
    from backend.errors import AppError
    from backend.services import account_service

    settings = get_settings()
    upgrade_database(settings.database_url)
    password = _admin_password(args)
    engine = create_db_engine(settings.database_url)
    try:
        with unit_of_work(engine) as db:
            admin = account_service.create_admin_by_operator(
                db,
                username=args.username,
                display_name=args.display_name or args.username,
                password=password,
            )
    except AppError as error:
        details = getattr(error, "field_errors", {})
        print("\n".join([error.message, *details.values()]), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Admin account '{admin.username}' created. Log in with it in the app.")
    return 0


def cmd_check_api(_args: argparse.Namespace) -> int:
    from backend.services import health_service

    report = health_service.check_connection()
    print(report.summary)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema").set_defaults(
        run=cmd_migrate
    )
    seed = commands.add_parser("seed-demo", help="create demo teacher, student, section, clients")
    seed.add_argument("--password", help="password for new demo accounts (default: random)")
    seed.set_defaults(run=cmd_seed_demo)
    admin = commands.add_parser(
        "create-admin",
        help="add an admin account (works whatever the database holds)",
        description="Add an admin account. The password comes from --password-file, else from "
        f"${ADMIN_PASSWORD_ENV}, else it is asked for twice (not shown as you type).",
    )
    admin.add_argument("--username", required=True)
    admin.add_argument("--display-name", help="the name others see (default: the username)")
    admin.add_argument(
        "--password-file",
        help="read the password from the first line of this file ('-' for standard input)",
    )
    admin.set_defaults(run=cmd_create_admin)
    commands.add_parser(
        "check-api", help="one minimal API call: key, model, network, cost"
    ).set_defaults(run=cmd_check_api)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

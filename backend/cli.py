"""Operator commands: `python -m backend.cli migrate | seed-demo | check-api`."""

from __future__ import annotations

import argparse
import sys

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
    with unit_of_work(engine) as session:
        result = demo_service.seed_demo(session, password=args.password)
    print("Demo data is ready." if not result.created else f"Created: {', '.join(result.created)}.")
    print(f"Section join code: {result.join_code}")
    for username in (result.teacher.username, result.student.username):
        password = result.new_passwords.get(username)
        shown = password if password else "(unchanged; it was shown when the account was created)"
        print(f"  log in as {username:<14} password: {shown}")
    return 0


def cmd_check_api(_args: argparse.Namespace) -> int:
    from backend.services import anthropic_service

    report = anthropic_service.check_api()
    print(report.summary)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database to the latest schema").set_defaults(
        run=cmd_migrate)
    seed = commands.add_parser("seed-demo", help="create demo teacher, student, section, clients")
    seed.add_argument("--password", help="password for new demo accounts (default: random)")
    seed.set_defaults(run=cmd_seed_demo)
    commands.add_parser("check-api", help="one minimal API call: key, model, network, cost"
                        ).set_defaults(run=cmd_check_api)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

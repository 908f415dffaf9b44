"""Operator commands: `python -m backend.cli migrate | seed-demo | create-admin | check-api |
ready | watch | healthcheck | export | import`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from backend.errors import AppError

if TYPE_CHECKING:
    from backend.config import Settings

# Each command imports the database layer, and the settings, itself: the container's health check
# runs this module every 15 s (every 2 s in the stack test), and SQLAlchemy would triple what that
# costs (0.9 s of CPU instead of 0.3 s); pydantic-settings, for the one port the image names,
# would nearly quadruple it again (0.15 s instead of 0.04 s).


def get_settings() -> Settings:
    from backend.config import get_settings as settings

    return settings()


def cmd_migrate(_args: argparse.Namespace) -> int:
    from backend.db import SchemaAheadError, upgrade_database

    try:
        upgrade_database(get_settings().database_url)
    except SchemaAheadError as ahead:  # the previous image after an upgrade: nothing to do here
        print(f"Left as it is. {ahead.message}")
        return 0
    print("Database is at the latest schema.")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from backend.db import create_db_engine, unit_of_work, upgrade_database
    from backend.ops import demo_service

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
        try:
            text = (
                sys.stdin.read()
                if args.password_file == "-"
                else Path(args.password_file).read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "it is not text"
            raise SystemExit(
                f"Cannot read {args.password_file}: {reason}; nothing was created."
            ) from None
        return text.splitlines()[0] if text else ""
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    password = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise SystemExit("The two passwords differ; nothing was created.")
    return password


def cmd_create_admin(args: argparse.Namespace) -> int:
    from backend.accounts import account_service
    from backend.db import create_db_engine, unit_of_work, upgrade_database
    from backend.errors import AppError

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
        print(_said(error), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Admin account '{admin.username}' created. Log in with it in the app.")
    return 0


def _said(error: AppError) -> str:
    """An error as a terminal shows it: each field's reason, where it has them, rather than a
    form's "Please correct the highlighted fields." (`seed-demo --password` with a weak one had
    said only that: an attack, 2026-12-07)."""
    details = getattr(error, "field_errors", {})
    return "\n".join(details.values()) if details else error.message


def cmd_check_api(_args: argparse.Namespace) -> int:
    from backend.monitoring import health_service

    report = health_service.check_connection()
    print(report.summary)
    return 0 if report.ok else 1


def cmd_ready(_args: argparse.Namespace) -> int:
    from backend.monitoring import watch

    readiness = watch.check_readiness()
    print(readiness.summary())
    return 0 if readiness.ready else 1


def cmd_watch(args: argparse.Namespace) -> int:
    from backend.monitoring import watch

    settings = get_settings()  # first: a setting it cannot read stops it before it serves
    port = args.port or settings.readiness_port
    print(f"Readiness on http://0.0.0.0:{port}/ready", flush=True)
    watch.run(port)
    return 0


#: The container's health check: Streamlit's own health, then readiness (the watch's /ready).
HEALTH_URLS = ("http://127.0.0.1:{port}/_stcore/health", "http://127.0.0.1:{readiness_port}/ready")


def cmd_healthcheck(_args: argparse.Namespace) -> int:
    """Exit 0 while Streamlit answers and the watch says ready: the image's HEALTHCHECK (an exec
    form, so no shell is needed; PORT is the image's, as Streamlit is started with it)."""
    import urllib.error
    import urllib.request

    port = os.environ.get("PORT", "8501")
    # The image's environment names it (compose passes .env as variables); elsewhere the settings.
    readiness_port = os.environ.get("READINESS_PORT") or get_settings().readiness_port
    for template in HEALTH_URLS:
        url = template.format(port=port, readiness_port=readiness_port)
        try:
            with urllib.request.urlopen(url, timeout=4):
                pass
        except (urllib.error.URLError, OSError) as error:
            print(f"Unhealthy: {url}: {getattr(error, 'reason', error)}", file=sys.stderr)
            return 1
    print("Healthy: Streamlit answers and the app is ready.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a course as JSON Lines; a file appears (mode 600) only once it is complete."""
    from backend.db import create_db_engine, unit_of_work
    from backend.errors import AppError
    from backend.ops import backup_service

    engine = create_db_engine(get_settings().database_url)
    if engine.dialect.name == "postgresql":  # one snapshot for every table read
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    target = None if args.out == "-" else Path(args.out)
    partial = target.with_name(f".{target.name}.partial") if target else None
    try:
        with unit_of_work(engine, write=False) as db:
            if partial is None:
                summary = backup_service.export_course(
                    db, sys.stdout, teacher_username=args.teacher, section_codes=args.section
                )
            else:
                descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with open(descriptor, "w", encoding="utf-8", newline="\n") as out:
                    summary = backup_service.export_course(
                        db, out, teacher_username=args.teacher, section_codes=args.section
                    )
                partial.replace(target)  # type: ignore[arg-type]
    except OSError as error:
        print(f"Cannot write {args.out}: {error.strerror}.", file=sys.stderr)
        return 1
    except AppError as error:
        print(_said(error), file=sys.stderr)
        return 1
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
        engine.dispose()
    print(
        f"Exported {summary.describe()} to {args.out if target else 'standard output'}. "
        "The file holds password hashes: keep it private.",
        file=sys.stderr,
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Load a course file into an empty database, all or nothing."""
    from backend.db import create_db_engine, unit_of_work, upgrade_database
    from backend.errors import AppError
    from backend.ops import backup_service

    settings = get_settings()
    upgrade_database(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with (
            sys.stdin if args.file == "-" else open(args.file, encoding="utf-8") as lines,
            unit_of_work(engine) as db,
        ):
            summary = backup_service.import_course(db, lines)
    except OSError as error:
        print(f"Cannot read {args.file}: {error.strerror}.", file=sys.stderr)
        return 1
    except AppError as error:
        print(f"{_said(error)} Nothing was imported.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Imported {summary.describe()}.")
    print("Usage figures and rating tallies were rebuilt. Add an admin with create-admin.")
    return 0


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
    commands.add_parser(
        "ready", help="exit 0 when the database (and Redis, when configured) answer; else say why"
    ).set_defaults(run=cmd_ready)
    watch = commands.add_parser(
        "watch",
        help="serve /ready for the proxy and health checks; alert on readiness and daily cost",
    )
    watch.add_argument("--port", type=int, help="default: READINESS_PORT (8502)")
    watch.set_defaults(run=cmd_watch)
    commands.add_parser(
        "healthcheck",
        help="exit 0 when Streamlit on $PORT answers and /ready on READINESS_PORT says ready",
    ).set_defaults(run=cmd_healthcheck)
    export = commands.add_parser(
        "export",
        help="write one teacher's course (sections, students, conversations, reviews) as JSON Lines",
        description="Write a teacher's sections with their assignments, clients, rubrics, "
        "students, conversations, ratings and reviews as JSON Lines. The file holds the "
        "accounts' password hashes: keep it private.",
    )
    export.add_argument("--teacher", required=True, help="the teacher's username")
    export.add_argument(
        "--section",
        action="append",
        metavar="CODE",
        help="only the section with this join code (repeat for more; default: all)",
    )
    export.add_argument("--out", required=True, help="the file to write ('-' for standard output)")
    export.set_defaults(run=cmd_export)
    restore = commands.add_parser(
        "import",
        help="load a course file into an empty database (all or nothing)",
        description="Migrate the database, then load a file written by `export` in one "
        "transaction. Refused when the database already holds data.",
    )
    restore.add_argument("file", help="the course file ('-' for standard input)")
    restore.set_defaults(run=cmd_import)
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except AppError as error:  # written for the person reading it: no traceback
        print(_said(error), file=sys.stderr)
        return 1
    except Exception as error:
        unreachable = _database_unreachable(error)
        if unreachable is None:
            raise
        print(unreachable, file=sys.stderr)
        return 1


def _database_unreachable(error: Exception) -> str | None:
    """What to say when `error` is the database not answering (no password in it); SQLAlchemy
    is only looked at when a command has loaded it."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import OperationalError

    from backend.monitoring.health_service import database_down

    if not isinstance(error, OperationalError):
        return None
    return database_down(get_settings().database_url, error)


if __name__ == "__main__":
    sys.exit(main())

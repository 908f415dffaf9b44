"""How long a new app process takes to draw the log-in page, and what it has loaded by then.

    .venv/bin/python benchmarks/bench_cold_start.py [--runs 5]

A temporary SQLite database built by Alembic holds one teacher account (so the page is the log-in
page, not the first-run setup). Each run is a fresh interpreter that imports Streamlit's testing
harness (the server has Streamlit loaded before the first page), then draws the log-in page once
with `AppTest`, as a new server process's first script run does (an API key is set, as on the real
server; nothing is called). Printed: the median over the runs of that first run's wall and CPU
time (the app's own imports, the database check, the page; CPU time varies less on a busy
machine), the whole process's wall time, its peak resident memory, and whether the Anthropic SDK,
pandas and the dummy password hash were loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ENV_FILE"] = os.devnull

FIRST_RUN = """
import json, resource, sys, time
started = time.perf_counter()
from streamlit.testing.v1 import AppTest
imported, cpu = time.perf_counter(), time.process_time()
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
drawn, cpu = time.perf_counter(), time.process_time() - cpu
assert not at.exception, at.exception
from backend.accounts import account_service
hashed = getattr(account_service, "_dummy_hash", None)
print(json.dumps({
    "streamlit": imported - started,
    "page": drawn - imported,
    "page_cpu": cpu,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "titles": [element.value for element in at.title],
    "anthropic": "anthropic" in sys.modules,
    "pandas": "pandas" in sys.modules,
    "dummy_hash": hashed is None or hashed.cache_info().currsize > 0,
}))
"""


def _database(folder: str) -> str:
    from backend.db import create_db_engine, unit_of_work, upgrade_database
    from backend.models.enums import Role
    from tests.factories import make_user

    url = f"sqlite:///{folder}/bench.db"
    upgrade_database(url)
    engine = create_db_engine(url)
    with unit_of_work(engine) as db:
        make_user(db, role=Role.teacher, username="tina.teacher")
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": _database(folder),
            "ANTHROPIC_API_KEY": "sk-ant-not-used",
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
        }
        results, walls = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", FIRST_RUN, str(ROOT / "mvp" / "app.py")],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            walls.append(time.perf_counter() - started)
            results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    last = results[-1]

    def median(name: str) -> float:
        return statistics.median(result[name] for result in results)

    print(f"page drawn: {last['titles']}  ({args.runs} fresh processes, medians)")
    print(
        f"  first run of the log-in page  {median('page'):.2f} s ({median('page_cpu'):.2f} s CPU)"
    )
    print(f"  Streamlit's own imports       {median('streamlit'):.2f} s")
    print(f"  whole process                 {statistics.median(walls):.2f} s")
    print(f"  peak resident memory          {median('rss_mb'):.0f} MB")
    for name in ("anthropic", "pandas", "dummy_hash"):
        print(f"  {name:<29} {'loaded' if last[name] else 'not loaded'}")


if __name__ == "__main__":
    main()

"""`make bench`: the site at 10,000 people on PostgreSQL, page by page, against a floor.

1. Creates a scratch database beside BENCH_DATABASE_URL's server, migrates it and writes
   the large company into it (`flask seed-scale`).
2. Serves the site and the floor (bench/floor.py: the layout and the session lookup, no
   more) with gunicorn, BENCH_WORKERS sync workers each, the same settings.
3. Reads every page and fragment once with PERFSITE_QUERY_STATS=1: bytes, SQL statements
   and rows read per request.
4. Drives each with BENCH_USERS concurrent clients (locust, headless: bench/load.py) for
   BENCH_DURATION seconds, interleaved with runs of the floor (one before every four pages
   and one at the end: each page's ratio is to the floor runs either side of it),
   BENCH_ROUNDS times.
5. Times the import of a 10,000-row CSV file, then of a 10,000-row XLSX file
   (bench/import_timing.py) on a second scratch database.
6. Measures each dashboard with one client at every size of BENCH_DASHBOARD_SIZES (and
   BENCH_PEOPLE), each size a company of its own: the median of BENCH_SINGLE requests one
   after another, with its statements and rows, and how it grew from the smallest size.
7. Prints the tables and what misses the targets; stops the servers and drops the scratch
   databases, whatever happened.

Settings (environment): BENCH_DATABASE_URL (a database on the server to use, default
postgresql://postgres@127.0.0.1:5432/postgres), BENCH_PEOPLE (10000), BENCH_WORKERS (2),
BENCH_USERS (20), BENCH_DURATION (5), BENCH_ROUNDS (2), BENCH_PORT (8510; the floor
BENCH_PORT + 1), BENCH_SKIP_IMPORT (1 to skip step 5), BENCH_DASHBOARD_SIZES (1000,10000;
empty to skip step 6), BENCH_SINGLE (10), BENCH_DASHBOARDS_ONLY (1: step 6 alone, after
step 1), BENCH_SCRATCH (the scratch database's name,
perfsite_bench_<pid> by default; the import's gets "_import" added, each dashboard size's
"_<people>"). `make bench BENCH_DASHBOARD_SIZES=1000,50000` adds a 50,000-person company
for the dashboards (about 10 minutes in all on two cores); `make bench BENCH_PEOPLE=50000`
measures the pages at 50,000 people too.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# locust's own virtualenv (the Makefile's .venv-bench), else this interpreter
LOAD_PYTHON = os.environ.get("BENCH_LOAD_PYTHON") or PYTHON
SETTINGS = {
    "url": os.environ.get("BENCH_DATABASE_URL",
                          "postgresql://postgres@127.0.0.1:5432/postgres"),
    "people": int(os.environ.get("BENCH_PEOPLE", 10_000)),
    "workers": int(os.environ.get("BENCH_WORKERS", 2)),
    "users": int(os.environ.get("BENCH_USERS", 20)),
    "duration": float(os.environ.get("BENCH_DURATION", 5)),
    "rounds": int(os.environ.get("BENCH_ROUNDS", 2)),
    "port": int(os.environ.get("BENCH_PORT", 8510)),
    "skip_import": os.environ.get("BENCH_SKIP_IMPORT") == "1",
    "dashboard_sizes": [int(n) for n in os.environ.get("BENCH_DASHBOARD_SIZES",
                                                       "1000,10000").split(",") if n.strip()],
    "single": int(os.environ.get("BENCH_SINGLE", 10)),
    "dashboards_only": os.environ.get("BENCH_DASHBOARDS_ONLY") == "1",
}
PASSWORD = "perfsite-demo"
# Targets: pages p95 < 100 ms, fragments p95 < 50 ms, at least half the floor's
# throughput, a fragment at most a tenth of its page's bytes (except one that adds what
# the page left out: a tree branch opened), no answer above ~200 KB.
PAGE_P95, FRAGMENT_P95, RATIO, FRAGMENT_SHARE = 100, 50, 0.5, 0.10
MAX_BYTES = 200_000  # no page sends more than ~200 KB of HTML
# A dashboard's single-client time at the largest size within 1.5x its time at the smallest.
GROWTH = 1.5


@dataclass
class Target:
    name: str
    role: str
    path: str
    page: str | None = None  # a fragment: the name of the page it is part of
    adds: bool = False  # a fragment that adds what its page left out (not a tenth of it)
    stats: dict = field(default_factory=dict)
    runs: list = field(default_factory=list)

    @property
    def fragment(self) -> bool:
        return self.page is not None


def targets(ids: dict) -> list[Target]:
    c, eng, staff, kpi = ids["cycle"], ids["eng"], ids["staff"], ids["kpi"]
    return [
        Target("department plan", "head", f"/planning/{c}/departments/{eng}"),
        Target("alignment tree", "staff", f"/planning/{c}/tree"),
        Target("alignment tree (exec)", "exec", f"/planning/{c}/tree"),
        Target("targets list", "exec", f"/planning/{c}/targets"),
        Target("person plan", "staff", f"/planning/{c}/people/{staff}"),
        Target("home (exec)", "exec", "/"),
        Target("home (staff)", "staff", "/"),
        Target("people list", "exec", "/people"),
        Target("audit log", "hr", "/audit"),
        Target("to-dos", "head", "/coaching/todos"),
        Target("check-in timeline", "staff", f"/coaching/kpis/{kpi}"),
        Target("HR overview", "hr", "/coaching/overview"),
        Target("department list", "exec", "/departments"),
        Target("person form (manager picker)", "hr", f"/people/{staff}/edit"),
        Target("bare page (password)", "staff", "/account/password"),
        # dashboards (issue 13): aggregates only, whatever the size
        Target("dashboard: company", "exec", f"/dashboards/company?cycle_id={c}"),
        Target("dashboard: department head", "head", f"/dashboards/team?cycle_id={c}"),
        Target("dashboard: HR", "hr", f"/dashboards/hr?cycle_id={c}"),
        Target("dashboard: mine", "staff", f"/dashboards/me?cycle_id={c}"),
        # fragments, and the page each is part of
        Target("to-do badge", "staff", "/coaching/todos/badge", page="home (staff)"),
        Target("tree: a department opened", "exec", f"/planning/{c}/tree/departments/{eng}",
               page="alignment tree (exec)", adds=True),
        Target("tree search", "exec", f"/planning/{c}/tree?q=uptime",
               page="alignment tree (exec)"),
        Target("people search", "exec", "/people?q=chen+jing", page="people list"),
        Target("people picker options", "hr",
               "/people/pick/org?q=zhang&for_id=manager_username",
               page="person form (manager picker)"),
        Target("audit log filtered", "hr", "/audit?action=plan.approved", page="audit log"),
        Target("HR overview filtered", "hr", f"/coaching/overview?department_id={eng}",
               page="HR overview"),
    ]


# Processes ---------------------------------------------------------------------------------

class Servers:
    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, app: str, port: int, env: dict) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(SETTINGS["workers"]),
             "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--log-level", "warning",
             app], cwd=ROOT, env=env, start_new_session=True)
        self.running.append(process)
        _wait_for(f"http://127.0.0.1:{port}/healthz" if app == "wsgi:app"
                  else f"http://127.0.0.1:{port}/floor", process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            self.stop(process)


def _wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within a minute")


def _database_url(name: str) -> str:
    parts = urllib.parse.urlsplit(SETTINGS["url"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _admin(sql: str) -> None:
    with psycopg.connect(SETTINGS["url"], autocommit=True) as connection:
        connection.execute(sql)


def _run(command: list[str], env: dict) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    return done.stdout


# Measuring ---------------------------------------------------------------------------------

def login(base: str, username: str) -> str:
    """Log in through the login form; the Cookie header of that session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                   "csrf_token": token}).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=data))
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise SystemExit(f"could not log in as {username}")
    return cookies


def read_once(base: str, target: Target, cookie: str) -> dict:
    headers = {"Cookie": cookie}
    if target.fragment:
        headers["HX-Request"] = "true"
    request = urllib.request.Request(base + target.path, headers=headers)
    with urllib.request.urlopen(request) as answer:
        body = answer.read()
        return {"status": answer.status, "bytes": len(body),
                "statements": int(answer.headers.get("X-SQL-Statements", -1)),
                "rows": int(answer.headers.get("X-SQL-Rows", -1))}


def load(url: str, cookie: str, htmx: bool) -> dict:
    command = [LOAD_PYTHON, str(ROOT / "bench" / "load.py"), url, cookie, str(SETTINGS["users"]),
               str(SETTINGS["duration"])] + (["htmx"] if htmx else [])
    output = _run(command, os.environ.copy())
    result = json.loads(output.strip().splitlines()[-1])
    _drain(url)
    return result


def single_client(base: str, target: Target, cookie: str, count: int) -> float:
    """The median time in ms of `count` requests one after another (after one to warm)."""
    headers = {"Cookie": cookie, **({"HX-Request": "true"} if target.fragment else {})}
    times = []
    for i in range(count + 1):
        started = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(base + target.path,
                                                           headers=headers)) as answer:
            answer.read()
        if i:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _drain(url: str) -> None:
    """Wait until the server has answered what the last run left in flight (requests the
    load tool gave up on still occupy a sync worker): one request per worker at once, which
    the workers reach only after everything queued before them."""
    parts = urllib.parse.urlsplit(url)
    probe = f"{parts.scheme}://{parts.netloc}" + (
        "/floor" if parts.path == "/floor" else "/healthz")

    def ask():
        try:
            urllib.request.urlopen(probe, timeout=120).read()
        except OSError:  # 401 from the floor without a cookie, or a slow answer: enough
            pass

    threads = [threading.Thread(target=ask) for _ in range(SETTINGS["workers"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# The report --------------------------------------------------------------------------------

def report(all_targets: list[Target], floor_runs: list[dict], import_result: dict | None):
    floor_rps = statistics.median(r["rps"] for r in floor_runs)
    by_name = {t.name: t for t in all_targets}
    print()
    print(f"perfsite benchmark: {SETTINGS['people']:,} people, PostgreSQL, gunicorn "
          f"{SETTINGS['workers']} sync workers, {SETTINGS['users']} concurrent clients, "
          f"{SETTINGS['rounds']} rounds of {SETTINGS['duration']:g} s per page, "
          f"{os.cpu_count()} cores shared with the load generator")
    print(f"floor (bench/floor.py: layout + session lookup): "
          f"{floor_rps:.0f} requests/s (median of {len(floor_runs)} runs, "
          f"{min(r['rps'] for r in floor_runs):.0f} to {max(r['rps'] for r in floor_runs):.0f}), "
          f"p95 {statistics.median(r['p95'] for r in floor_runs):.0f} ms; each page's ratio is "
          f"to the floor runs just before and after it")
    header = (f"| {'page or fragment':32} | {'role':5} | {'req/s':>6} | {'vs floor':>8} | "
              f"{'p50':>5} | {'p95':>5} | {'p99':>5} | {'bytes':>8} | {'SQL':>4} | "
              f"{'rows':>6} | {'share':>5} | misses |")
    print()
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    misses_total = []
    for t in all_targets:
        rps = statistics.median(r["rps"] for r in t.runs)
        p50 = statistics.median(r["p50"] for r in t.runs)
        p95 = statistics.median(r["p95"] for r in t.runs)
        p99 = statistics.median(r["p99"] for r in t.runs)
        # each run against the floor runs just before and after it (the machine's load
        # drifts): the median of those ratios over the rounds
        ratio = statistics.median(
            r["rps"] / ((r["floor_before"] + r["floor_after"]) / 2) for r in t.runs)
        misses = []
        if ratio < RATIO:
            misses.append(f"throughput {ratio:.2f} < {RATIO}")
        limit = FRAGMENT_P95 if t.fragment else PAGE_P95
        if p95 >= limit:
            misses.append(f"p95 {p95:.0f} >= {limit} ms")
        if t.stats["bytes"] > MAX_BYTES:
            misses.append(f"{t.stats['bytes']:,} bytes > {MAX_BYTES:,}")
        share = None
        if t.fragment and t.page in by_name:
            share = t.stats["bytes"] / max(by_name[t.page].stats["bytes"], 1)
            if share > FRAGMENT_SHARE and not t.adds:
                misses.append(f"{share:.0%} of its page's bytes")
        if sum(r["failures"] for r in t.runs):
            misses.append(f"{sum(r['failures'] for r in t.runs)} failed requests")
        if not all(r["requests"] for r in t.runs):
            misses.append("a run with no answer at all")
        misses_total.extend(f"{t.name}: {m}" for m in misses)
        label = ("  ↳ " if t.fragment else "") + t.name
        print(f"| {label:32} | {t.role:5} | {rps:6.0f} | {ratio:8.2f} | {p50:5.0f} | "
              f"{p95:5.0f} | {p99:5.0f} | {t.stats['bytes']:8,} | {t.stats['statements']:4} | "
              f"{t.stats['rows']:6,} | {'' if share is None else f'{share:.0%}':>5} | "
              f"{'; '.join(misses) or 'ok'} |")
    print()
    if import_result:
        for kind in ("csv", "xlsx"):
            timing = import_result[kind]
            total = timing["preview_s"] + timing["commit_s"]
            verdict = "ok" if (timing["preview_s"] < 5 and timing["commit_s"] < 15
                               and total < 20) else "missed (preview < 5 s, commit < 15 s)"
            print(f"import of {import_result['rows']:,} {kind.upper()} rows: preview "
                  f"{timing['preview_s']} s, commit {timing['commit_s']} s: {verdict}")
            if verdict != "ok":
                misses_total.append(f"{kind} import: {verdict}")
        print(f"   jobs {', '.join(import_result['states'])}; "
              f"{import_result['people']:,} people after")
    return misses_total


def report_growth(growth: list[dict]) -> list[str]:
    """The dashboards at each size: single-client time, statements, rows; the growth."""
    misses = []
    if not growth:
        return misses
    sizes = sorted({g["people"] for g in growth})
    print()
    print(f"dashboards with one client ({SETTINGS['single']} requests each, median), "
          f"at {', '.join(f'{n:,}' for n in sizes)} people:")
    header = (f"| {'dashboard':28} | {'people':>7} | {'ms':>7} | {'x smallest':>10} | "
              f"{'bytes':>8} | {'SQL':>4} | {'rows':>6} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    first = {}
    for g in sorted(growth, key=lambda g: (g["name"], g["people"])):
        first.setdefault(g["name"], g)
        factor = g["ms"] / max(first[g["name"]]["ms"], 0.001)
        print(f"| {g['name']:28} | {g['people']:7,} | {g['ms']:7.0f} | {factor:10.2f} | "
              f"{g['bytes']:8,} | {g['statements']:4} | {g['rows']:6,} |")
        if g["people"] == sizes[-1] and len(sizes) > 1 and factor > GROWTH:
            misses.append(f"{g['name']}: {factor:.2f}x its time at {sizes[0]:,} people "
                          f"(target {GROWTH}x)")
    return misses


def dashboard_growth(all_targets: list[Target], main_database: str, scratch: str, env: dict,
                     servers: Servers, created: list[str]) -> list[dict]:
    """Step 6: each dashboard at each size (the main company at BENCH_PEOPLE)."""
    sizes = sorted(set(SETTINGS["dashboard_sizes"]) | {SETTINGS["people"]}) \
        if SETTINGS["dashboard_sizes"] else []
    dashboards = [t for t in all_targets if t.name.startswith("dashboard:")]
    found = []
    for size in sizes:
        database = main_database
        print(f"   {size:,} people", flush=True)
        if size != SETTINGS["people"]:
            name = f"{scratch}_{size}"
            _admin(f'CREATE DATABASE "{name}"')
            created.append(name)
            database = _database_url(name)
            sized = {**env, "DATABASE_URL": database}
            _run([str(BIN / "flask"), "db", "upgrade"], sized)
            _run([str(BIN / "flask"), "seed-scale", "--people", str(size)], sized)
        sized = {**env, "DATABASE_URL": database, "PERFSITE_QUERY_STATS": "1"}
        with psycopg.connect(database) as connection:
            cycle = connection.execute(
                "SELECT id FROM cycle WHERE phase = 'in_progress'").fetchone()[0]
        site = servers.start("wsgi:app", SETTINGS["port"], sized)
        base = f"http://127.0.0.1:{SETTINGS['port']}"
        cookies = {role: login(base, role) for role in {t.role for t in dashboards}}
        for t in dashboards:
            sized_target = Target(t.name, t.role, re.sub(r"cycle_id=\d+", f"cycle_id={cycle}",
                                                         t.path))
            read_once(base, sized_target, cookies[t.role])  # warm: the worker, kept figures
            stats = read_once(base, sized_target, cookies[t.role])
            ms = single_client(base, sized_target, cookies[t.role], SETTINGS["single"])
            found.append({"name": t.name, "people": size, "ms": ms, **stats})
            print(f"   {t.name} at {size:,} people: {ms:.0f} ms", flush=True)
        servers.stop(site)
    return found


# Putting it together -----------------------------------------------------------------------

STEPS: list[tuple[str, float]] = []  # (step, when it started), for the times printed at the end


def step(title: str) -> None:
    """Announces a step, with the time since the run started."""
    STEPS.append((title, time.monotonic()))
    print(f"== [{(STEPS[-1][1] - STEPS[0][1]) / 60:5.1f} min] {title}", flush=True)


def report_steps() -> None:
    """How long each step took: the run's budget, step by step."""
    ends = [when for _, when in STEPS[1:]] + [time.monotonic()]
    print()
    print("time per step:")
    for (title, began), ended in zip(STEPS, ends, strict=True):
        print(f"   {(ended - began) / 60:5.1f} min  {title.split(':')[0]}")
    print(f"   {(ends[-1] - STEPS[0][1]) / 60:5.1f} min  in all")


def main() -> None:
    stamp = f"{os.getpid()}"
    scratch = os.environ.get("BENCH_SCRATCH") or f"perfsite_bench_{stamp}"
    scratch_import = f"{scratch}_import"
    instance = tempfile.mkdtemp(prefix="perfsite-bench-")  # the servers' instance folder
    servers = Servers()
    created = []
    try:
        _admin(f'CREATE DATABASE "{scratch}"')
        created.append(scratch)
        database = _database_url(scratch)
        env = {**os.environ, "DATABASE_URL": database, "FLASK_APP": "wsgi",
               "SECRET_KEY": f"bench-{stamp}", "PERFSITE_INSTANCE": instance,
               "RATELIMIT_STORAGE_URI": "memory://"}
        step(f"scratch database {scratch}: migrating, writing {SETTINGS['people']:,} people")
        _run([str(BIN / "flask"), "db", "upgrade"], env)
        print(_run([str(BIN / "flask"), "seed-scale", "--people", str(SETTINGS["people"])],
                   env).strip(), flush=True)
        with psycopg.connect(database) as connection:
            one = connection.execute
            ids = {
                "cycle": one("SELECT id FROM cycle WHERE phase = 'in_progress'").fetchone()[0],
                "eng": one("SELECT id FROM department WHERE code = 'ENG'").fetchone()[0],
                "staff": one("SELECT id FROM person WHERE username = 'staff'").fetchone()[0],
            }
            ids["kpi"] = one("SELECT kpi.id FROM kpi JOIN personal_plan p ON p.id = kpi.plan_id "
                             "WHERE p.person_id = %s AND p.cycle_id = %s ORDER BY kpi.id",
                             (ids["staff"], ids["cycle"])).fetchone()[0]
        all_targets = targets(ids)
        if SETTINGS["dashboards_only"]:  # step 6 alone: the growth table, no load
            step("dashboards with one client, at each size")
            growth = dashboard_growth(all_targets, database, scratch, env, servers, created)
            misses = report_growth(growth)
            print(f"{len(misses)} targets missed." if misses else "Every target met.")
            report_steps()
            return
        port, floor_port = SETTINGS["port"], SETTINGS["port"] + 1
        site, floor = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"

        step("reading each page once with PERFSITE_QUERY_STATS=1")
        counting = servers.start("wsgi:app", port, {**env, "PERFSITE_QUERY_STATS": "1"})
        cookies = {role: login(site, role) for role in ("exec", "hr", "head", "staff")}
        for t in all_targets:
            read_once(site, t, cookies[t.role])  # warm the worker
            t.stats = read_once(site, t, cookies[t.role])
            if t.stats["status"] != 200:
                raise SystemExit(f"{t.name}: {t.path} answered {t.stats['status']}")
        servers.stop(counting)

        step("load: site and floor, interleaved")
        servers.start("wsgi:app", port, env)
        servers.start("bench.floor:app", floor_port, env)
        floor_runs = []

        def floor_run(round_number: int) -> dict:
            run = load(f"{floor}/floor", cookies["staff"], False)
            floor_runs.append(run)
            print(f"   round {round_number + 1} floor: {run['rps']:.0f}/s "
                  f"p95 {run['p95']} ms", flush=True)
            return run

        for round_number in range(SETTINGS["rounds"]):
            waiting = []  # target runs still to be given the floor run that follows them
            before = None
            for index, t in enumerate(all_targets):
                if index % 4 == 0:
                    before = floor_run(round_number)
                    for run in waiting:
                        run["floor_after"] = before["rps"]
                    waiting = []
                run = load(site + t.path, cookies[t.role], t.fragment)
                run["floor_before"] = before["rps"]
                t.runs.append(run)
                waiting.append(run)
                print(f"   round {round_number + 1} {t.name}: {run['rps']:.0f}/s "
                      f"p95 {run['p95']} ms", flush=True)
            after = floor_run(round_number)
            for run in waiting:
                run["floor_after"] = after["rps"]
        servers.stop_all()

        import_result = None
        if not SETTINGS["skip_import"]:
            step("timing a 10,000-row import")
            _admin(f'CREATE DATABASE "{scratch_import}"')
            created.append(scratch_import)
            output = _run([PYTHON, str(ROOT / "bench" / "import_timing.py"),
                           _database_url(scratch_import), "10000"], env)
            import_result = json.loads(output.strip().splitlines()[-1])
        step("dashboards with one client, at each size")
        growth = dashboard_growth(all_targets, database, scratch, env, servers, created)
        misses = report(all_targets, floor_runs, import_result) + report_growth(growth)
        print(f"{len(misses)} targets missed." if misses else "Every target met.")
        report_steps()
    finally:
        servers.stop_all()
        for name in created:
            try:
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error as error:
                print(f"could not drop {name}: {error}", file=sys.stderr)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()

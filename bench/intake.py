"""Intake throughput: the REST API under a fixed offered load, `caseloop intake eml` and `caseloop import cases`.

    .venv/bin/python bench/intake.py                          # everything (about 6 minutes on 2 cores)
    .venv/bin/python bench/intake.py --part api --rate 100 --duration 30 --ramp 150,200,250,300
    .venv/bin/python bench/intake.py --part eml --part import --engine sqlite

API: a fresh PostgreSQL database (caseloop_bench_intake, dropped and re-created), migrated, the
production setup (DEBUG off, REDIS_URL, gunicorn with several worker processes) started as a
subprocess, and a SECOND process (`bench/intake.py loadgen`, asyncio, keep-alive HTTP/1.1 on
127.0.0.1) sending Chinese complaints with an Idempotency-Key and an e-mail address (so the
acknowledgement is queued) at a fixed rate. The load is open-loop: each request has a scheduled
send time and its latency is measured from that time, so a slow server cannot slow the load down
(no coordinated omission). Then a ramp of higher rates finds the highest sustainable one.
Afterwards the database is checked: cases == 201 answers, no duplicate numbers, one queued
acknowledgement per case, idempotent replays return the first answer.

E-mail and import: generated files (mixed charsets / 20,000-row CSV and XLSX) fed to the real
management commands on a fresh SQLite file and a fresh PostgreSQL database (copied from a migrated
template). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from caseloop.demo.data import CASE_TEMPLATES, GIVEN, PRODUCTS, REGIONS, SURNAMES, TAILS  # noqa: E402  (pure data)

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
VAR_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_API_DB = "caseloop_bench_intake"
PG_TEMPLATE_DB = "caseloop_bench_intake_tpl"
PG_RUN_DB = "caseloop_bench_intake_run"
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY = "bench-intake-secret-key-" + "k" * 40
HOST = "127.0.0.1"  # only loopback, ever


# --- Generated data -------------------------------------------------------------------------------


class Texts:
    """Complaints that read like real ones: the demo's templates, products, names, tails."""

    def __init__(self, seed: int, customers: int = 5000) -> None:
        # The same customers in every run (contacts identify them); the complaints vary with `seed`.
        people = random.Random(customers)
        self.customers = [self._customer(i, people) for i in range(customers)]
        self.rng = random.Random(seed)

    @staticmethod
    def _customer(i: int, rng: random.Random) -> dict[str, str]:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        return {"name": name, "phone": f"+86 13{rng.randrange(10**9):09d}", "email": f"kehu{i}@example.cn",
                "region": rng.choice(REGIONS)}

    def complaint(self) -> tuple[dict[str, str], str, str, str, str]:
        rng = self.rng
        _type, priority, _dept, lines, subject, content = rng.choice(CASE_TEMPLATES)
        brand, kind, model, _line = rng.choice([p for p in PRODUCTS if not lines or p[3] in lines] or PRODUCTS)
        fill = {"product": f"{brand}{kind}", "days": rng.randrange(2, 60), "order": f"DD{rng.randrange(10**10):010d}"}
        text = content.format(**fill) + rng.choice(TAILS)
        return rng.choice(self.customers), subject.format(**fill), text, priority, model


def api_bodies(count: int, seed: int, run_id: str) -> list[tuple[str, bytes]]:
    texts = Texts(seed)
    bodies = []
    for i in range(count):
        customer, subject, content, priority, model = texts.complaint()
        payload = {"channel": "api", "customer": customer, "subject": subject, "content": content,
                   "priority": priority, "product_model": model}
        bodies.append((f"{run_id}-{i}", json.dumps(payload, ensure_ascii=False).encode()))
    return bodies


def write_eml_files(folder: Path, count: int, seed: int) -> Counter[str]:
    """UTF-8 (base64 and quoted-printable), GBK, Big5 and HTML-only messages, RFC 2047 headers."""
    texts = Texts(seed)
    kinds: Counter[str] = Counter()
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for i in range(count):
        customer, subject, content, _priority, _model = texts.complaint()
        kind = ("utf-8", "gbk", "big5", "html", "utf-8-qp")[i % 5]
        if kind == "big5":
            # Traditional characters (a fixed little table is enough for mixing scripts).
            import opencc  # the project's own dependency (text folding)

            to_traditional = opencc.OpenCC("s2t")
            subject, content = to_traditional.convert(subject), to_traditional.convert(content)
            customer = {**customer, "name": to_traditional.convert(customer["name"])}
        charset = {"utf-8": "utf-8", "gbk": "gbk", "big5": "big5", "html": "utf-8", "utf-8-qp": "utf-8"}[kind]
        try:
            content.encode(charset)
            subject.encode(charset)
        except UnicodeEncodeError:
            charset = kind = "utf-8"
        if kind == "html":
            message: Any = MIMEMultipart("related")
            html = (f"<html><body><p>您好，</p><p>{content}</p><table><tr><td>订单</td><td>见上</td></tr></table>"
                    f"<p style='color:gray'>{customer['name']}<br>{customer['phone']}</p></body></html>")
            message.attach(MIMEText(html, "html", "utf-8"))
        else:
            body = f"您好，\n\n{content}\n\n{customer['name']}\n{customer['phone']}\n"
            if kind == "utf-8-qp":
                quoted = Charset("utf-8")
                quoted.body_encoding = QP
                message = MIMEText(body, "plain", quoted)  # type: ignore[arg-type]
            else:
                message = MIMEText(body, "plain", charset)
        message["Subject"] = Header(subject, charset).encode()
        message["From"] = formataddr((str(Header(customer["name"], charset).encode()), customer["email"]))
        message["To"] = "service@caseloop.example.cn"
        message["Date"] = format_datetime(start + dt.timedelta(seconds=37 * i))
        message["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="mail.example.cn")
        (folder / f"{i:06d}.eml").write_bytes(message.as_bytes())
        kinds[kind] += 1
    return kinds


IMPORT_HEADER = ["工单号", "客户姓名", "手机号码", "邮箱", "地区", "标题", "投诉内容", "接收时间", "产品型号", "订单号", "渠道", "优先级"]


def import_rows(count: int, seed: int) -> list[list[str]]:
    texts = Texts(seed, customers=8000)
    channels = ["热线", "邮件", "微信", "门店", "官网", "导入"]
    priorities = ["高", "中", "低", "普通"]
    start = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = []
    for i in range(count):
        customer, subject, content, _priority, model = texts.complaint()
        received = start + dt.timedelta(minutes=23 * i)
        rows.append([f"OLD-{i:07d}", customer["name"], customer["phone"], customer["email"], customer["region"],
                     subject, content, received.strftime("%Y-%m-%d %H:%M"), model,
                     f"DD{texts.rng.randrange(10**10):010d}", texts.rng.choice(channels),
                     texts.rng.choice(priorities)])
    return rows


def write_import_files(folder: Path, count: int, seed: int) -> tuple[Path, Path]:
    rows = import_rows(count, seed)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"cases-{count}.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IMPORT_HEADER)
        writer.writerows(rows)
    from openpyxl import Workbook

    xlsx_path = folder / f"cases-{count}.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(IMPORT_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(xlsx_path)
    return csv_path, xlsx_path


# --- Databases ------------------------------------------------------------------------------------


def pg_exec(sql: str, dbname: str = "postgres") -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def pg_recreate(name: str, template: str | None = None) -> str:
    assert "bench" in name
    pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_exec(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return f"{PG_SERVER}/{name}"


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, DEBUG="false", SECRET_KEY=SECRET_KEY, CASELOOP_VAR_DIR=str(VAR_DIR),
               CASELOOP_MEDIA_ROOT=str(VAR_DIR / "media"), ALLOWED_HOSTS="127.0.0.1,localhost",
               LOG_LEVEL="WARNING", PYTHONHASHSEED="0")
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def manage(args: list[str], env: dict[str, str], *, check: bool = True, timeout: float = 900,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([PY, "-m", "caseloop", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, input=stdin)
    if check and done.returncode != 0:
        raise RuntimeError(f"caseloop {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def migrate(database_url: str) -> None:
    manage(["migrate", "--noinput"], django_env(database_url))


class Databases:
    """A migrated template per engine; each measurement gets a fresh copy of it."""

    def __init__(self) -> None:
        self.sqlite_template: Path | None = None
        self.pg_template = False

    def fresh(self, engine: str) -> str:
        if engine == "sqlite":
            target = VAR_DIR / "intake_run.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            if self.sqlite_template is None:
                self.sqlite_template = VAR_DIR / "intake_template.sqlite3"
                self.sqlite_template.unlink(missing_ok=True)
                migrate(f"sqlite:///{self.sqlite_template}")
                with sqlite3.connect(self.sqlite_template) as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(self.sqlite_template, target)
            return f"sqlite:///{target}"
        if not self.pg_template:
            migrate(pg_recreate(PG_TEMPLATE_DB))
            self.pg_template = True
        return pg_recreate(PG_RUN_DB, template=PG_TEMPLATE_DB)

    def drop(self) -> None:
        if self.pg_template:
            for name in (PG_RUN_DB, PG_TEMPLATE_DB):
                pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def count_rows(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite:"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    return pg_exec(sql, database_url.rsplit("/", 1)[1])


def settled(database_url: str, limit_s: float = 60) -> dict[str, int]:
    """The counts once requests still queued in the server (given up by the client) are done."""
    state = integrity(database_url)
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        time.sleep(2)
        again = integrity(database_url)
        if again == state:
            break
        state = again
    return state


def integrity(database_url: str) -> dict[str, int]:
    (cases, numbers), = count_rows(database_url, "SELECT count(*), count(DISTINCT number) FROM cases_case")
    (outbox,), = count_rows(database_url, "SELECT count(*) FROM notify_outboxmessage")
    (tasks, triage, drains, waiting), = count_rows(database_url, (
        "SELECT count(*), count(*) FILTER (WHERE task_path LIKE '%triage_new_case'), "
        "count(*) FILTER (WHERE task_path LIKE '%drain_outbox'), count(*) FILTER (WHERE status = 'READY') "
        "FROM django_tasks_database_dbtaskresult"))
    (links,), = count_rows(database_url, "SELECT count(*) FROM cases_case WHERE duplicate_of_id IS NOT NULL")
    (sent,), = count_rows(database_url, "SELECT count(*) FROM notify_outboxmessage WHERE status = 'sent'")
    (triaged,), = count_rows(database_url, "SELECT count(*) FROM triage_casetriage")
    return {"cases": cases, "distinct_numbers": numbers, "outbox": outbox, "tasks": tasks, "triage_tasks": triage,
            "drain_tasks": drains, "tasks_waiting": waiting, "linked": links, "sent": sent, "triaged": triaged}


# --- CPU accounting -------------------------------------------------------------------------------


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def process_cpu_s(pids: list[int]) -> float:
    """utime + stime of these processes, in seconds (processes gone meanwhile count 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_pids(master: int, dbname: str) -> tuple[list[int], list[int]]:
    """(gunicorn master and workers, PostgreSQL backends serving `dbname`)."""
    workers = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    backends = [int(pid) for (pid,) in pg_exec(f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}'")]
    return workers, backends


def machine_speed() -> float:
    """CPU seconds for a fixed pure-Python loop. This machine's speed drifts (seen: 0.5 to 1.5 s
    within a day); runs are comparable only at similar figures."""
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - started


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- The load generator (a second process) --------------------------------------------------------


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.used_at = reader, writer, time.monotonic()


async def _http_post(conn: Conn, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    head = f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    conn.writer.write(head.encode() + body)
    await conn.writer.drain()
    status_line = await conn.reader.readline()
    if not status_line:
        raise ConnectionResetError("closed before the answer")
    status = int(status_line.split()[1])
    response_headers: dict[str, str] = {}
    while True:
        line = await conn.reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        response_headers[name.strip().lower()] = value.strip()
    data = await conn.reader.readexactly(int(response_headers.get("content-length", "0")))
    return status, response_headers, data


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def _loadgen(args: argparse.Namespace) -> dict[str, Any]:
    count = int(args.rate * args.duration)
    bodies = api_bodies(count, args.seed, args.run_id)
    auth = {"Authorization": f"Bearer {args.key}"}
    idle: list[Conn] = []
    opened = 0
    slots = asyncio.Semaphore(args.max_connections)
    latencies: list[float] = []
    send_lag: list[float] = []
    statuses: Counter[str] = Counter()
    numbers: list[str] = []
    reconnects = 0
    done_at: list[float] = []

    async def connect() -> Conn:
        nonlocal opened
        reader, writer = await asyncio.open_connection(HOST, args.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        opened += 1
        return Conn(reader, writer)

    async def one(i: int, scheduled: float) -> None:
        nonlocal reconnects
        key, body = bodies[i]
        async with slots:
            send_lag.append(time.monotonic() - scheduled)
            for attempt in range(2):
                conn = None
                while idle:
                    candidate = idle.pop()
                    if time.monotonic() - candidate.used_at < 1.0:  # gunicorn's keep-alive is 2 s
                        conn = candidate
                        break
                    candidate.writer.close()
                fresh = conn is None
                try:
                    if conn is None:
                        conn = await connect()
                    status, headers, data = await asyncio.wait_for(
                        _http_post(conn, "/api/v1/cases", {**auth, "Idempotency-Key": key}, body), args.timeout)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                    if conn is not None:
                        conn.writer.close()
                    if attempt == 0 and not fresh:  # a kept-alive connection the server had closed: retry
                        reconnects += 1  # (safe: the Idempotency-Key makes a repeat return the first case)
                        continue
                    statuses[f"error:{type(exc).__name__}"] += 1
                    return
                except TimeoutError:
                    if conn is not None:
                        conn.writer.close()
                    statuses["error:timeout"] += 1
                    return
                now = time.monotonic()
                latencies.append(now - scheduled)
                done_at.append(now)
                statuses[str(status)] += 1
                if status in (200, 201):
                    numbers.append(json.loads(data)["number"])
                if headers.get("connection", "").lower() == "close":
                    conn.writer.close()
                else:
                    conn.used_at = now
                    idle.append(conn)
                return

    cpu_before = time.process_time()  # the load generator's own share of the machine, bodies built
    start = time.monotonic() + 0.2
    tasks = []
    for i in range(count):
        scheduled = start + i / args.rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, scheduled)))
    schedule_end = start + count / args.rate
    in_flight_at_end = sum(1 for t in tasks if not t.done())
    _done, pending = await asyncio.wait(tasks, timeout=args.timeout + 5)
    for task in pending:  # bounded: whatever is still running now is counted as lost
        task.cancel()
        statuses["error:unfinished"] += 1
    last = max(done_at) if done_at else schedule_end
    ok = statuses["201"] + statuses["200"]
    for conn in idle:
        conn.writer.close()
    loadgen_cpu_ms = 1000 * (time.process_time() - cpu_before) / max(1, count)
    return {
        "offered_rps": args.rate, "duration_s": args.duration, "sent": count, "ok": ok,
        "errors": count - ok, "statuses": dict(statuses), "reconnects": reconnects, "connections": opened,
        "achieved_rps": ok / (last - start) if last > start else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies, default=float("nan")) * 1000,
        "max_send_lag_ms": max(send_lag, default=0.0) * 1000, "in_flight_at_end": in_flight_at_end,
        "drain_s": last - schedule_end, "numbers": numbers, "loadgen_cpu_ms": loadgen_cpu_ms,
    }


def loadgen_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench/intake.py loadgen")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    assert args.rate * args.duration <= 200_000, "bounded: at most 200,000 requests a run"
    result = asyncio.run(_loadgen(args))
    print(json.dumps(result))


# --- API benchmark (the orchestrating process) ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str, deadline_s: float, proc: subprocess.Popen[bytes]) -> None:
    import http.client

    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {path} within {deadline_s} s")


def post(port: int, key: str, idem: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("POST", "/api/v1/cases", body=body, headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": idem, "Content-Type": "application/json"})
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    return response.status, data, {k.lower(): v for k, v in response.getheaders()}


def run_loadgen(port: int, key: str, rate: float, duration: float, run_id: str, seed: int,
                server: int = 0, dbname: str = "", task_workers: list[int] | None = None) -> dict[str, Any]:
    pids = server_pids(server, dbname) if server else ([], [])
    app0, db0 = process_cpu_s(pids[0]), process_cpu_s(pids[1])
    workers0 = process_cpu_s(task_workers or [])
    busy0, total0 = cpu_times()
    done = subprocess.run([PY, str(Path(__file__).resolve()), "loadgen", "--port", str(port), "--key", key,
                           "--rate", str(rate), "--duration", str(duration), "--run-id", run_id, "--seed", str(seed)],
                          capture_output=True, text=True, timeout=duration + 120)
    busy1, total1 = cpu_times()
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["cpu_busy_pct"] = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
    if server:
        # CPU per answered request, of the app (gunicorn) and of PostgreSQL (its backends for this
        # database): unlike wall-clock rates, comparable when other work shares the machine.
        later = server_pids(server, dbname)
        app1 = process_cpu_s(later[0])
        db1 = process_cpu_s(later[1])
        answered = max(1, result["ok"])
        result["app_cpu_ms"] = 1000 * (app1 - app0) / answered
        result["db_cpu_ms"] = 1000 * (db1 - db0) / answered  # the task workers' queries included
        result["worker_cpu_ms"] = 1000 * (process_cpu_s(task_workers or []) - workers0) / answered
        result["cpu_bound_rps"] = 2 * answered / max(1e-9, (app1 - app0) + (db1 - db0))

    result["loadavg"] = loadavg()
    return result


def background_counts(database_url: str, first_case_id: int) -> tuple[int, int, int, int]:
    """(tasks waiting or running, cases after `first_case_id` triaged, and acknowledged, all
    messages sent)."""
    (row,) = count_rows(database_url, (
        "SELECT (SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')), "
        f"(SELECT count(*) FROM triage_casetriage WHERE case_id > {first_case_id}), "
        f"(SELECT count(*) FROM notify_outboxmessage WHERE status = 'sent' AND case_id > {first_case_id}), "
        "(SELECT count(*) FROM notify_outboxmessage WHERE status = 'sent')"))
    return row[0], row[1], row[2], row[3]


def drain_backlog(database_url: str, dbname: str, task_workers: list[int], first_case_id: int,
                  limit_s: float = 900) -> dict[str, Any]:
    """Intake stopped: how fast the task workers work off what the stages left (triage of each new
    case, its acknowledgement over SMTP). Their rate, not intake's, bounds a sustained load."""
    backends = [int(pid) for (pid,) in pg_exec(f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}'")]
    open0, triaged0, sent0, _ = background_counts(database_url, first_case_id)
    workers0, db0 = process_cpu_s(task_workers), process_cpu_s(backends)
    started = time.monotonic()
    open_tasks = open0
    while open_tasks and time.monotonic() - started < limit_s:
        time.sleep(0.5)
        open_tasks = background_counts(database_url, first_case_id)[0]
    elapsed = time.monotonic() - started
    open_tasks, triaged, sent, _ = background_counts(database_url, first_case_id)
    worked = max(1, triaged - triaged0)
    return {"stage": "backlog", "seconds": round(elapsed, 1), "tasks_left": open_tasks, "tasks_at_start": open0,
            "triaged": triaged - triaged0, "acknowledgements_sent": sent - sent0,
            "triaged_per_s": (triaged - triaged0) / max(elapsed, 1e-9),
            "worker_cpu_ms_per_case": 1000 * (process_cpu_s(task_workers) - workers0) / worked,
            "db_cpu_ms_per_case": 1000 * (process_cpu_s(backends) - db0) / worked}


@dataclass
class _SmtpSink:
    port: int
    stop: Any
    received: Any  # () -> messages received so far


def _smtp_sink() -> _SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that accepts and drops every message."""
    from aiosmtpd.controller import Controller

    class Discard:
        count = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls this hook by name
            self.count += 1
            return "250 OK"

    port = free_port()
    handler = Discard()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    return _SmtpSink(port=port, stop=controller.stop, received=lambda: handler.count)


def bench_api(args: argparse.Namespace) -> list[dict[str, Any]]:
    database_url = pg_recreate(PG_API_DB)
    migrate(database_url)
    smtp = _smtp_sink() if args.task_workers else None  # acknowledgements go to a real SMTP server
    # Connections kept for the whole run: a backend that exits takes its CPU time out of the count.
    env = django_env(database_url, REDIS_URL=REDIS_URL, CASELOOP_SYSTEM_ENTRY_LIMIT_MINUTES="5",
                     CASELOOP_DB_CONN_MAX_AGE="3600",
                     **({"EMAIL_HOST": HOST, "EMAIL_PORT": str(smtp.port)} if smtp else {}))
    key = manage(["apikey", "create", "--name", "bench-intake", "--scopes", "cases:write,cases:read",
                  "--rate-limit", "1000000"], env).stdout.strip().splitlines()[-1]
    port = args.port or free_port()
    command = [GUNICORN, "config.wsgi", "-w", str(args.workers), "-k", args.worker_class, "--threads", str(args.threads),
               "-b", f"{HOST}:{port}", "--backlog", "2048", "--log-level", "warning", *args.gunicorn_arg]
    print(f"# api: {' '.join(command[1:])}  database {PG_API_DB}", flush=True)
    log = (VAR_DIR / "intake-gunicorn.log").open("wb")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    if args.task_workers:
        # The built-in triage model is trained once per var dir (about 30 s); not during a stage.
        manage(["triage", "classify"], env, stdin='{"id": "warm", "text": "洗衣机漏水"}\n')
    workers = [subprocess.Popen([PY, "-m", "caseloop", "db_worker", "--interval", "0.2", "--no-startup-delay"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
               for _ in range(args.task_workers)]
    if workers:
        print(f"# api: {len(workers)} task worker(s) (caseloop db_worker) run beside it; acknowledgements go to "
              f"an SMTP server on {HOST}:{smtp.port if smtp else 0}", flush=True)
    rows: list[dict[str, Any]] = []
    try:
        wait_http(port, "/readyz", 60, server)
        # Warm-up: every worker imports jieba, opens its connection, fills its caches.
        run_loadgen(port, key, rate=min(args.rate, 50), duration=4, run_id="warm", seed=99)
        before = integrity(database_url)
        (first_case_id,), = count_rows(database_url, "SELECT coalesce(max(id), 0) FROM cases_case")
        stages = [("fixed", args.rate, args.duration)] + [("ramp", r, args.step_duration) for r in args.ramp]
        all_numbers: list[str] = []
        for n, (label, rate, duration) in enumerate(stages):
            result = run_loadgen(port, key, rate=rate, duration=duration, run_id=f"s{n}", seed=1000 + n,
                                 server=server.pid, dbname=PG_API_DB, task_workers=[w.pid for w in workers])
            state = integrity(database_url)
            result["tasks_waiting"] = state["tasks_waiting"]
            numbers = result.pop("numbers")
            all_numbers += numbers
            result.update(stage=label, dup_numbers=len(numbers) - len(set(numbers)))
            sustainable = (result["errors"] == 0 and result["p99_ms"] < 100
                           and result["achieved_rps"] >= 0.97 * rate)
            result["sustainable"] = sustainable
            rows.append(result)
            print(f"  {label:5} {rate:6.0f} req/s: ok {result['ok']}, errors {result['errors']}, "
                  f"achieved {result['achieved_rps']:.0f}/s, p50 {result['p50_ms']:.0f} p95 {result['p95_ms']:.0f} "
                  f"p99 {result['p99_ms']:.0f} max {result['max_ms']:.0f} ms, cpu {result['cpu_busy_pct']:.0f}%, "
                  f"per case app {result['app_cpu_ms']:.1f} + db {result['db_cpu_ms']:.1f} + task workers "
                  f"{result['worker_cpu_ms']:.1f} + load generator {result['loadgen_cpu_ms']:.1f} CPU ms; tasks waiting {result['tasks_waiting']}"
                  f"{'' if sustainable else '  (NOT sustainable)'}", flush=True)
            if label == "ramp" and result["p99_ms"] > 2000:
                break  # far past saturation: higher rates only queue more
            time.sleep(2)  # let queues empty between stages
        if workers:  # before `settled`, which would wait for the workers
            backlog = drain_backlog(database_url, PG_API_DB, [w.pid for w in workers], first_case_id)
            print(f"  backlog: {backlog['tasks_at_start']} tasks worked off in {backlog['seconds']} s by "
                  f"{len(workers)} task worker(s) with intake stopped: {backlog['triaged_per_s']:.0f} cases "
                  f"triaged/s ({backlog['triaged']} triaged, {backlog['acknowledgements_sent']} acknowledgements "
                  f"sent, {backlog['tasks_left']} tasks left); per case worker {backlog['worker_cpu_ms_per_case']:.1f} "
                  f"+ db {backlog['db_cpu_ms_per_case']:.1f} CPU ms", flush=True)
        after = settled(database_url)
        # Idempotency: replaying a key returns the first case; a different body is refused.
        replay_body = api_bodies(1, 1000, "s0")[0][1]
        status, data, headers = post(port, key, "s0-0", replay_body)
        replay_ok = status == 201 and headers.get("idempotent-replayed") == "true" and data.get("tracking_code")
        status_409, _data, _h = post(port, key, "s0-0", replay_body.replace(b'"subject": "', b'"subject": "x', 1))
        final = integrity(database_url)
        created = sum(r["statuses"].get("201", 0) for r in rows)
        check = {
            "cases_created": after["cases"] - before["cases"], "answers_201": created,
            "distinct_numbers_ok": after["cases"] == after["distinct_numbers"],
            "returned_numbers_unique": len(all_numbers) == len(set(all_numbers)),
            "acknowledgements_queued": after["outbox"] - before["outbox"], "linked": after["linked"] - before["linked"],
            "triage_tasks_enqueued": after["triage_tasks"] - before["triage_tasks"],
            "drain_tasks_enqueued": after["drain_tasks"] - before["drain_tasks"],
            "tasks_still_waiting": after["tasks_waiting"], "triaged": after["triaged"] - before["triaged"],
            "acknowledgements_sent": after["sent"] - before["sent"],
            "replay_same_answer": bool(replay_ok), "different_body_409": status_409 == 409,
            "no_case_from_replays": final["cases"] == after["cases"],
        }
        check["ok"] = (check["cases_created"] == created and check["triage_tasks_enqueued"] == created
                       and check["distinct_numbers_ok"]
                       and check["returned_numbers_unique"] and check["acknowledgements_queued"] == created
                       and check["replay_same_answer"] and check["different_body_409"]
                       and check["no_case_from_replays"])
        if workers:  # every case of the stages triaged and acknowledged over SMTP, once
            _, triaged, acknowledged, all_sent = background_counts(database_url, first_case_id)
            received = smtp.received() if smtp else 0  # warm-up's acknowledgements included
            check.update(stage_cases_triaged=triaged, stage_cases_acknowledged=acknowledged,
                         smtp_received_once_each=received == all_sent)
            check["ok"] = check["ok"] and triaged == created and acknowledged == created and received == all_sent
        print(f"  checks: {json.dumps(check)}", flush=True)
        rows.append({"stage": "checks", **check})
        if workers:
            rows.append(backlog)
    finally:
        for process in [server, *workers]:
            os.killpg(process.pid, signal.SIGTERM)
        for process in [server, *workers]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
        if smtp:
            smtp.stop()
        if not args.keep:
            pg_exec(f"DROP DATABASE IF EXISTS {PG_API_DB} WITH (FORCE)")
    return rows


# --- E-mail and import benchmarks -----------------------------------------------------------------


def bench_eml(args: argparse.Namespace, dbs: Databases, work: Path) -> list[dict[str, Any]]:
    folder = work / "eml"
    kinds = write_eml_files(folder, args.messages, seed=7)
    print(f"# eml: {args.messages} messages ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})", flush=True)
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    rows = []
    for engine in args.engine:
        database_url = dbs.fresh(engine)
        env = django_env(database_url)
        started = time.perf_counter()
        manage(["intake", "eml", str(empty)], env)  # start-up alone (Django, no message)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        jobs = args.jobs if engine == "postgres" else 1
        done = manage(["intake", "eml", "--jobs", str(jobs), str(folder)], env, check=False)
        wall = time.perf_counter() - started
        results = Counter(json.loads(line)["result"] for line in done.stdout.splitlines() if line.startswith("{"))
        state = integrity(database_url)
        row = {"engine": engine, "jobs": jobs, "messages": args.messages, "wall_s": wall, "startup_s": startup,
               "rate": args.messages / wall, "rate_excl_startup": args.messages / max(1e-9, wall - startup),
               "results": dict(results), "exit": done.returncode, **state, "loadavg": loadavg()}
        rows.append(row)
        print(f"  {engine:8} --jobs {jobs}: {row['rate']:6.1f} messages/s ({row['rate_excl_startup']:.1f} without "
              f"{startup:.1f} s start-up); {dict(results)}, cases {state['cases']}, outbox {state['outbox']}, "
              f"exit {done.returncode}", flush=True)
    return rows


def bench_import(args: argparse.Namespace, dbs: Databases, work: Path) -> list[dict[str, Any]]:
    csv_path, xlsx_path = write_import_files(work / "import", args.rows, seed=11)
    print(f"# import: {args.rows} rows, {csv_path.stat().st_size // 1024} KiB CSV, "
          f"{xlsx_path.stat().st_size // 1024} KiB XLSX", flush=True)
    rows = []
    for engine in args.engine:
        for path in (csv_path, xlsx_path):
            database_url = dbs.fresh(engine)
            env = django_env(database_url)
            started = time.perf_counter()
            done = manage(["import", "cases", str(path)], env, check=False, timeout=1800)
            wall = time.perf_counter() - started
            # The summary line is in the interface language (zh-hans by default) or English.
            match = (re.search(r"(\d+) rows: (\d+) created.*\(([\d.]+) s, (\d+) rows/s\)", done.stdout)
                     or re.search(r"共 (\d+) 行：新建 (\d+) 条.*用时 ([\d.]+) 秒，(\d+) 行/秒", done.stdout))
            state = integrity(database_url)
            row = {"engine": engine, "format": path.suffix[1:], "rows": args.rows, "wall_s": wall,
                   "rate": args.rows / wall, "created": int(match.group(2)) if match else None,
                   "command_s": float(match.group(3)) if match else None,
                   "command_rate": int(match.group(4)) if match else None, "exit": done.returncode, **state,
                   "loadavg": loadavg()}
            if not match:
                row["stderr"] = done.stderr[-500:]
            rows.append(row)
            print(f"  {engine:8} {row['format']:4} {row['rate']:6.0f} rows/s wall "
                  f"(command's own figure: {row['command_rate']} rows/s); created {row['created']}, "
                  f"cases {state['cases']}, exit {done.returncode}", flush=True)
            # A second run creates nothing (idempotent by external ID): checked on CSV only, it is cheap.
            if path == csv_path and args.check_idempotent:
                again = manage(["import", "cases", str(path)], env, check=False, timeout=1800)
                print(f"           second run: {again.stdout.strip().splitlines()[-1] if again.stdout else again.stderr[-200:]}")
    return rows


# --- Report ---------------------------------------------------------------------------------------


def print_table(api: list[dict[str, Any]], eml: list[dict[str, Any]], imp: list[dict[str, Any]]) -> None:
    print("\n## Figures\n")
    if api:
        print("| API stage | offered req/s | achieved cases/s | ok | errors | p50 ms | p95 ms | p99 ms | max ms "
              "| machine CPU % | app CPU ms/case | PG CPU ms/case | CPU-bound cases/s (2 cores) | sustainable |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in api:
            if r["stage"] in ("checks", "backlog"):
                continue
            print(f"| {r['stage']} | {r['offered_rps']:.0f} | {r['achieved_rps']:.0f} | {r['ok']} | {r['errors']} "
                  f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} "
                  f"| {r['cpu_busy_pct']:.0f} | {r['app_cpu_ms']:.1f} | {r['db_cpu_ms']:.1f} | {r['cpu_bound_rps']:.0f} "
                  f"| {'yes' if r['sustainable'] else 'no'} |")
        good = [r["offered_rps"] for r in api if r.get("sustainable")]
        print(f"\nMax sustainable offered rate (0 errors, p99 < 100 ms, ≥ 97 % achieved): "
              f"{max(good) if good else 'none'} req/s")
        checks = next((r for r in api if r["stage"] == "checks"), None)
        if checks:
            print(f"Integrity: {'OK' if checks['ok'] else 'FAILED'} — " + ", ".join(
                f"{k} {v}" for k, v in checks.items() if k not in ("stage", "ok")))
        backlog = next((r for r in api if r["stage"] == "backlog"), None)
        if backlog:
            print(f"Task workers, intake stopped: {backlog['triaged_per_s']:.0f} cases/s triaged and acknowledged "
                  f"({backlog['triaged']} in {backlog['seconds']} s; {backlog['tasks_left']} tasks left), "
                  f"{backlog['worker_cpu_ms_per_case']:.1f} worker + {backlog['db_cpu_ms_per_case']:.1f} PG CPU ms per case")
    if eml:
        print("\n| e-mail (`caseloop intake eml`) | jobs | messages | wall s | messages/s | excl. start-up | results |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for r in eml:
            print(f"| {r['engine']} | {r['jobs']} | {r['messages']} | {r['wall_s']:.1f} | {r['rate']:.0f} | "
                  f"{r['rate_excl_startup']:.0f} | {r['results']} |")
    if imp:
        print("\n| import (`caseloop import cases`) | format | rows | wall s | rows/s (wall) | rows/s (command) "
              "| created |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for r in imp:
            print(f"| {r['engine']} | {r['format']} | {r['rows']} | {r['wall_s']:.1f} | {r['rate']:.0f} "
                  f"| {r['command_rate']} | {r['created']} |")
    print(f"\nTargets (2 cores): API ≥ 250 cases/s and p99 < 100 ms at 100 req/s; e-mail ≥ 100 messages/s; "
          f"import ≥ 2,000 rows/s. Load average now: {loadavg()}, machine speed {machine_speed():.2f} s")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadgen"]:
        loadgen_main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", action="append", choices=["api", "eml", "import"],
                        help="run only this part (repeatable; default all)")
    parser.add_argument("--engine", action="append", choices=["sqlite", "postgres"],
                        help="database of the e-mail and import parts (repeatable; default both)")
    parser.add_argument("--rate", type=float, default=100, help="fixed offered rate, req/s (default 100)")
    parser.add_argument("--duration", type=float, default=30, help="seconds at the fixed rate (default 30)")
    parser.add_argument("--ramp", default="150,200,250,300", help="rates of the ramp, comma-separated ('' for none)")
    parser.add_argument("--step-duration", type=float, default=20, help="seconds per ramp step (default 20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--worker-class", default="gthread",
                        help="gunicorn worker class (default gthread: keeps connections alive; 'sync' closes "
                             "each one, see docs/operations.md)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (default 1)")
    parser.add_argument("--task-workers", type=int, default=0,
                        help="`caseloop db_worker` processes running during the API stages (default 0: the "
                             "queued triage and acknowledgements wait; the report shows the backlog)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="`caseloop intake eml --jobs` on PostgreSQL (default 2; SQLite always 1)")
    parser.add_argument("--gunicorn-arg", action="append", default=[], help="extra gunicorn argument (repeatable)")
    parser.add_argument("--port", type=int, default=0, help="127.0.0.1 port for gunicorn (default: a free one)")
    parser.add_argument("--messages", type=int, default=1000, help="generated e-mails (default 1000)")
    parser.add_argument("--rows", type=int, default=20000, help="rows of the import files (default 20000)")
    parser.add_argument("--check-idempotent", action="store_true", help="import the CSV twice, show the second run")
    parser.add_argument("--keep", action="store_true", help="keep the API database afterwards")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    args.part = args.part or ["api", "eml", "import"]
    args.engine = args.engine or ["sqlite", "postgres"]
    args.ramp = [float(x) for x in args.ramp.split(",") if x.strip()]
    if args.duration > 600 or args.step_duration > 600 or len(args.ramp) > 10:
        parser.error("bounded runs only: at most 600 s a stage and 10 ramp steps")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    print(f"# bench/intake.py on {os.cpu_count()} cores, load average {loadavg()}, "
          f"machine speed {machine_speed():.2f} s (lower is faster)", flush=True)
    api: list[dict[str, Any]] = []
    eml: list[dict[str, Any]] = []
    imp: list[dict[str, Any]] = []
    dbs = Databases()
    with tempfile.TemporaryDirectory(prefix="bench-intake-", dir=VAR_DIR) as tmp:
        try:
            if "api" in args.part:
                api = bench_api(args)
            if "eml" in args.part:
                eml = bench_eml(args, dbs, Path(tmp))
            if "import" in args.part:
                imp = bench_import(args, dbs, Path(tmp))
        finally:
            dbs.drop()
    print_table(api, eml, imp)
    if args.json:
        args.json.write_text(json.dumps({"api": api, "eml": eml, "import": imp}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Triage speed: one-core throughput and per-case latency of the whole pass, and near-duplicate
lookup latency against a large history (default 1,000,000 cases).

    .venv/bin/python bench/triage.py engine                 # texts/s and p50/p95/p99 on one core
    .venv/bin/python bench/triage.py duplicates --database-url postgres://postgres@127.0.0.1:5432/caseloop_bench_triage
    .venv/bin/python bench/triage.py duplicates             # SQLite file under var/bench/

`engine` runs `Triager.assess` (normalise, all model heads, review, priority, issue points,
extraction) over the corpus texts, pinned to one CPU core. `duplicates` builds its own database
(name must contain 'bench'), fills it once with N cases, their MinHash fingerprints and LSH band
rows (bulk COPY on PostgreSQL), then times `caseloop.triage.services.find_similar` — the function
triage calls — for probes that are near-copies of stored cases and for fresh texts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_VAR_DIR = ROOT / "var" / "bench"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(name: str, ms: list[float]) -> str:
    return (f"{name:<34} n={len(ms):>6}  p50={percentile(ms, 50):7.2f} ms  p95={percentile(ms, 95):7.2f} ms  "
            f"p99={percentile(ms, 99):7.2f} ms  max={max(ms):7.2f} ms")


def configure(database_url: str = "") -> None:
    var_dir = Path(os.environ.get("CASELOOP_BENCH_VAR_DIR", str(DEFAULT_VAR_DIR))).resolve()
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{var_dir / 'triage.sqlite3'}"
    if not url.startswith("sqlite") and "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit(f"Refusing {url}: its name must contain 'bench' (the benchmark rebuilds it).")
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The built-in model is cached where the developer's runs keep it, not re-trained per bench database.
    os.environ.setdefault("CASELOOP_VAR_DIR", str(ROOT / "var"))


# --- engine ---------------------------------------------------------------------------------------


def bench_engine(args: argparse.Namespace) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    configure()
    import django

    django.setup()
    from caseloop.triage import corpus
    from caseloop.triage.engine import TriageConfig, TriageInput, Triager
    from caseloop.triage.loading import builtin_bundle

    started = time.perf_counter()
    bundle = builtin_bundle()
    load_s = time.perf_counter() - started
    triager = Triager(bundle, TriageConfig())
    texts = [r.text for r in corpus.load()]
    rng = random.Random(7)
    rng.shuffle(texts)
    texts = (texts * (args.texts // max(len(texts), 1) + 1))[: args.texts]
    for text in texts[:50]:  # warm-up: jieba's dictionary, numpy paths
        triager.assess(TriageInput(text=text))
    latencies: list[float] = []
    begin = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        triager.assess(TriageInput(text=text, channel="web"))
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - begin
    lengths = sorted(len(t) for t in texts)
    print(f"model {bundle.version} (loaded/trained in {load_s:.1f} s); {len(texts)} texts, "
          f"length p50 {lengths[len(lengths) // 2]} / max {lengths[-1]} characters; one CPU core")
    print(f"throughput: {len(texts) / elapsed:,.0f} texts/s")
    print(summary("triage per case (everything)", latencies))
    long = [ms for ms, t in zip(latencies, texts, strict=True) if len(t) >= 150]
    if long:
        print(summary("  texts of 150+ characters", long))
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


# --- duplicates ------------------------------------------------------------------------------------


def _mutate(text: str, rng: random.Random, strength: float) -> str:
    chars = list(text)
    for _ in range(max(1, int(len(chars) * strength))):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("的了是我你他们这那有没不很太还就都也在和与再又已")
    return "".join(chars)


def _history_text(i: int, base: list[str], rng: random.Random) -> str:
    # Every stored case is different: two corpus texts joined, lightly changed, with its own numbers.
    a, b = rng.choice(base), rng.choice(base)
    return f"{_mutate(a, rng, 0.1)} {b[: rng.randrange(5, 60)]} 订单{i:09d}"


def _fingerprint_rows(job: tuple[int, int, int]) -> list[tuple[int, str, bytes, list[int]]]:
    start, stop, seed = job
    from caseloop.triage import corpus, duplicates

    base = [r.text for r in corpus.load()]
    rows = []
    for i in range(start, stop):
        rng = random.Random(seed * 1_000_003 + i)
        text = _history_text(i, base, rng)
        fingerprint = duplicates.fingerprint(text)
        if fingerprint is not None:
            rows.append((i, text, fingerprint.to_bytes(), fingerprint.band_keys()))
    return rows


def seed_history(n: int, *, workers: int, seed: int) -> None:
    from django.db import connection

    from caseloop.cases.models import Case
    from caseloop.customers.models import Customer
    from caseloop.triage.models import CaseFingerprint, CaseFingerprintBand

    if CaseFingerprint.objects.count() >= n:
        print(f"history already seeded ({n:,} cases)")
        return
    customer = Customer.objects.create(name="bench", is_anonymous=True)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    chunk = 20_000
    jobs = [(s, min(s + chunk, n), seed) for s in range(0, n, chunk)]
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    values: dict[str, Any] = {"status": "closed", "channel": "web", "priority": "medium", "subject": "bench",
                              "content": "bench", "customer_id": customer.pk, "received_at": now,
                              "recorded_at": now, "created_at": now, "updated_at": now}
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for done, rows in enumerate(pool.imap(_fingerprint_rows, jobs), 1):
            case_rows = []
            for i, text, _sig, _keys in rows:
                row = []
                for f in fields:
                    if f.name == "number":
                        row.append(f"CFBENCH{i:09d}")
                    elif f.name == "content":  # the probes read it back: a near-copy of what is really stored
                        row.append(text)
                    elif f.attname in values:
                        row.append(values[f.attname])
                    elif f.null:
                        row.append(None)
                    elif f.get_internal_type() == "BooleanField":
                        row.append(False)
                    else:
                        row.append("")
                case_rows.append(row)
            ids = _insert_cases(connection, [f.column for f in fields], case_rows)
            fingerprints = [(case_id, sig, customer.pk, now) for case_id, (_i, _t, sig, _k) in zip(ids, rows, strict=True)]
            bands = [(key, case_id) for case_id, (_i, _t, _s, keys) in zip(ids, rows, strict=True) for key in keys]
            _copy(connection, CaseFingerprint._meta.db_table, ["case_id", "signature", "customer_id", "received_at"],
                  fingerprints)
            _copy(connection, CaseFingerprintBand._meta.db_table, ["key", "case_id"], bands)
            if done % 5 == 0 or done == len(jobs):
                rate = done * chunk / (time.perf_counter() - started)
                print(f"  seeded {min(done * chunk, n):,} cases ({rate:,.0f}/s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {n:,} cases, {n * 16:,} band rows in {time.perf_counter() - started:.0f} s")


def _insert_cases(connection: Any, columns: list[str], rows: list[list[Any]]) -> list[int]:
    from caseloop.cases.models import Case

    table = Case._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"SELECT id FROM {table} WHERE number >= %s AND number <= %s ORDER BY number",
                           [rows[0][columns.index("number")], rows[-1][columns.index("number")]])
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
            cursor.execute(f"SELECT id FROM {table} WHERE number >= %s AND number <= %s ORDER BY number",
                           [rows[0][columns.index("number")], rows[-1][columns.index("number")]])
        return [r[0] for r in cursor.fetchall()]


def _copy(connection: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def bench_duplicates(args: argparse.Namespace) -> None:
    configure(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    sys.path.insert(0, str(ROOT / "bench"))
    from case_list import prepare_database  # the same database preparation as the case-list bench

    connections.close_all()
    prepare_database(drop=args.reseed)
    call_command("migrate", interactive=False, verbosity=0)
    seed_history(args.cases, workers=args.workers, seed=args.seed)

    from caseloop.cases.models import Case
    from caseloop.triage import corpus
    from caseloop.triage.services import find_similar

    base = [r.text for r in corpus.load()]
    rng = random.Random(args.seed + 1)
    numbers = [f"CFBENCH{rng.randrange(args.cases):09d}" for _ in range(args.probes)]
    stored = dict(Case.objects.filter(number__in=numbers).values_list("number", "content"))
    near, fresh = [], []
    for number in numbers:
        near.append((number, _mutate(stored[number], rng, 0.03)))
        fresh.append(_mutate(rng.choice(base), rng, 0.3) + f" 新问题{rng.randrange(10**6)}")
    for _, text in near[:20]:
        find_similar(text=text)
    timings: dict[str, list[float]] = {"near-copy of a stored case": [], "fresh text": []}
    found = 0
    for (number, text), other in zip(near, fresh, strict=True):
        t0 = time.perf_counter()
        hits = find_similar(text=text, threshold=0.5)
        timings["near-copy of a stored case"].append((time.perf_counter() - t0) * 1000)
        found += any(h.number == number for h in hits)
        t0 = time.perf_counter()
        find_similar(text=other, threshold=0.5)
        timings["fresh text"].append((time.perf_counter() - t0) * 1000)
    print(f"{connection.vendor}, {args.cases:,} cases in the index, {args.probes} probes each")
    for name, ms in timings.items():
        print(summary(f"find_similar: {name}", ms))
    print(f"near-copies found: {found}/{len(near)} ({found / len(near):.1%})")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('triage_casefingerprintband'))")
            print(f"band table with indexes: {cursor.fetchone()[0]}")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    engine = actions.add_parser("engine")
    engine.add_argument("--texts", type=int, default=5000)
    dup = actions.add_parser("duplicates")
    dup.add_argument("--database-url", default="")
    dup.add_argument("--cases", type=int, default=1_000_000)
    dup.add_argument("--probes", type=int, default=1000)
    dup.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    dup.add_argument("--seed", type=int, default=20261204)
    dup.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    (bench_engine if args.action == "engine" else bench_duplicates)(args)


if __name__ == "__main__":
    main()

"""Latency of the agent console's case list with a large database (default 100,000 cases).

    .venv/bin/python bench/case_list.py                       # SQLite file under var/bench/
    .venv/bin/python bench/case_list.py --database-url postgres://postgres@127.0.0.1:5432/caseloop_bench

The benchmark never touches the developer's database: it points DATABASE_URL and
CASELOOP_VAR_DIR at its own database before Django starts, creates and migrates it, and seeds it
once with bulk inserts (re-used by later runs; --reseed rebuilds it). Requests go through the
whole Django stack (middleware, session, view, template) with django.test.Client, logged in as a
supervisor (sees every case) and as a department specialist (scoped). See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_VAR_DIR = ROOT / "var" / "bench"
SQLITE_NAME = "case_list.sqlite3"
BENCH_PREFIX = "bench_"
SUPERVISOR = "bench_supervisor"
SPECIALIST = "bench_specialist"  # after-sales specialist: sees that department's cases
SPECIALIST_DEPARTMENT = "after_sales"


# --- Configuration (before Django starts) ----------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL of a benchmark database (its name must contain 'bench'); "
                             f"default: SQLite at var/bench/{SQLITE_NAME}")
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database (default 100000)")
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild the benchmark database")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario (default 200)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per scenario first (default 5)")
    parser.add_argument("--scenario", action="append", default=[],
                        help="run only scenarios whose name starts with this (repeatable)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes computing search terms while seeding (default: all cores)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed of the generated data")
    parser.add_argument("--pg-options", default="",
                        help="PostgreSQL session settings for the measured connections, as libpq PGOPTIONS "
                             "(e.g. '-c max_parallel_workers_per_gather=0')")
    parser.add_argument("--explain", action="store_true",
                        help="print each scenario's SQL with its plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE)")
    return parser.parse_args(argv)


def configure_environment(args: argparse.Namespace) -> str:
    """Point settings at the benchmark's own database; must run before django.setup()."""
    var_dir = Path(os.environ.get("CASELOOP_BENCH_VAR_DIR", str(DEFAULT_VAR_DIR))).resolve()
    (var_dir / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT: whitenoise warns when missing
    url = args.database_url or f"sqlite:///{var_dir / SQLITE_NAME}"
    if not url.startswith("sqlite") and "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit(f"Refusing {url}: the benchmark drops and rebuilds its database, so its name must "
                         "contain 'bench' (e.g. postgres://postgres@127.0.0.1:5432/caseloop_bench).")
    os.environ["CASELOOP_VAR_DIR"] = str(var_dir)
    os.environ["CASELOOP_MEDIA_ROOT"] = str(var_dir / "media")
    os.environ["DATABASE_URL"] = url
    if args.pg_options:
        os.environ["PGOPTIONS"] = args.pg_options
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"  # DEBUG would record every query and slow every request down
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    return url


def prepare_database(*, drop: bool) -> None:
    """Create the benchmark database if missing (PostgreSQL) or drop it first; Django is not connected."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        if drop:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(db["NAME"]) + suffix).unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    params = {"dbname": "postgres", "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
              "host": db.get("HOST") or None, "port": db.get("PORT") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        name = db["NAME"]
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def rebuild_database(*, drop: bool) -> None:
    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    prepare_database(drop=drop)
    call_command("migrate", interactive=False, verbosity=0)


# --- Realistic data ----------------------------------------------------------------------------------

# Extra complaints in the demo's format, so that "漏水" is common and "发霉" rare.
# feedback type, priority, department, product lines, subject, content, weight
EXTRA_TEMPLATES: list[tuple[str, str, str, tuple[str, ...], str, str, float]] = [
    ("product_quality", "medium", "after_sales", ("家电",), "{product}漏水",
     "{product}用了{days}天就开始漏水，地板都泡坏了，之前师傅来看过也没修好，请尽快安排处理。", 1.0),
    ("product_quality", "high", "quality", ("家电",), "{product}底部漏水，楼下邻居要求赔偿",
     "家里的{product}晚上一直漏水，水渗到楼下邻居家的天花板，邻居要我们赔偿。购买才{days}天，订单号{order}，"
     "要求厂家承担损失。", 0.6),
    ("repair_quality", "medium", "after_sales", ("家电",), "换了配件以后还是漏水",
     "上门师傅给{product}换了进水阀，收了配件费，结果第二天又漏水了，要求退还配件费并重新维修。", 0.5),
    ("product_quality", "low", "after_sales", ("家电",), "{product}内部发霉有异味",
     "{product}内部发霉，有很重的异味，清洗了好几次还是有味道，才用了{days}天。", 0.12),
    ("logistics", "high", "logistics", ("家电", "手机数码", "电脑办公"), "送货时把{product}摔坏了",
     "送货师傅搬运时把{product}摔在地上，屏幕都裂了，还不承认，订单{order}，要求换新并道歉。", 0.4),
]
EXPECTATIONS = ["", "", "尽快维修", "退货退款", "换新机", "赔偿损失", "给个说法", "上门检查"]
DEFAULT_TAILS = ["", "", "", "请尽快回复。", "真的很失望！！", "麻烦了，谢谢。", "希望你们重视。", "急！！！"]

# Recent cases follow the demo's status mix; cases older than a month are mostly finished, a few
# still open (and so overdue), as in a real backlog.
RECENT_DAYS = 30
RECENT_STATUS_WEIGHTS = {
    "pending": 12, "accepted": 8, "in_progress": 16, "awaiting_approval": 5, "resolved": 8,
    "closed_pending_follow_up": 6, "closed": 25, "needs_information": 5, "on_hold": 4, "rejected": 4,
    "duplicate": 3, "reopened": 4,
}
OLD_STATUS_WEIGHTS = {
    "closed": 700, "closed_pending_follow_up": 50, "resolved": 40, "rejected": 60, "duplicate": 40,
    "in_progress": 12, "on_hold": 6, "needs_information": 4, "accepted": 3, "pending": 2, "awaiting_approval": 2,
    "reopened": 3,
}
CHANNEL_WEIGHTS = {
    "phone": 25, "web": 15, "api": 15, "email": 10, "wechat": 12, "sms": 4, "social": 5, "service_center": 5,
    "store": 5, "paper": 2, "import": 2,
}
MANUAL = {"phone", "service_center", "store", "paper"}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 20, 20, 16, 18, 20, 20, 18, 16, 14, 14, 12, 8, 4, 2]
RESOLVED = {"resolved", "closed", "closed_pending_follow_up", "rejected", "duplicate"}
OWNED = {"in_progress", "awaiting_approval", "resolved", "closed_pending_follow_up", "closed", "on_hold", "reopened"}


@dataclass(frozen=True)
class Template:
    feedback_type: str
    priority: str
    department: str
    lines: tuple[str, ...]
    subject: str
    content: str
    weight: float


def templates() -> list[Template]:
    """The demo's complaint templates (5- or 6-field rows) plus the benchmark's extra ones."""
    from caseloop.demo import data

    result = []
    for row in data.CASE_TEMPLATES:
        row = tuple(row)
        if len(row) == 5:
            row = (*row[:3], (), *row[3:])
        result.append(Template(*row[:6], weight=1.0))  # type: ignore[misc]
    result.extend(Template(*row) for row in EXTRA_TEMPLATES)
    return result


def _index_row(texts: tuple[str, str, str, str]) -> tuple[str, str]:
    from caseloop.cases.search import index_terms

    terms = index_terms(*texts)
    return terms.words, terms.grams


def _init_worker() -> None:
    import django

    django.setup()


def compute_index_terms(rows: list[tuple[str, str, str, str]], workers: int) -> list[tuple[str, str]]:
    """jieba over every case, as the registration service would index it (the slow part of seeding)."""
    if workers <= 1:
        return [_index_row(r) for r in rows]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_init_worker) as pool:
        return pool.map(_index_row, rows, chunksize=1000)


@dataclass
class SeedReport:
    cases: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def seed(n: int, *, rng_seed: int, workers: int, log: Callable[[str], None]) -> SeedReport:
    from django.conf import settings
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from caseloop.accounts.models import Department, User
    from caseloop.cases.models import Case, CaseEvent, CaseNumberSequence, CaseSearchDocument
    from caseloop.cases.numbering import format_case_number
    from caseloop.core import clock
    from caseloop.customers.models import Customer
    from caseloop.customers.normalize import normalize_phone
    from caseloop.demo import data
    from caseloop.products.models import Product
    from caseloop.sla import deadlines

    report = SeedReport(cases=n)
    started = time.perf_counter()
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        report.phases[name] = now - mark
        log(f"  {name}: {now - mark:.1f} s")
        mark = now

    rng = random.Random(rng_seed)
    zone = clock.organisation_zone()
    now = clock.now()
    prefix = settings.CASELOOP["CASE_NUMBER_PREFIX"]

    # Organisation: departments, people, products.
    with transaction.atomic():
        departments = {code: Department.objects.get_or_create(code=code, defaults={"name": name, "description": d})[0]
                       for code, name, d in data.DEPARTMENTS}
        products = [Product.objects.get_or_create(brand=b, model=m, defaults={"name": nm, "product_line": line})[0]
                    for b, nm, m, line in data.PRODUCTS]
        people: list[tuple[str, str, str, list[str]]] = [
            (SUPERVISOR, "陈静", "supervisor", ["customer_service"]),
            (SPECIALIST, "赵磊", "specialist", [SPECIALIST_DEPARTMENT]),
        ]
        for code in departments:
            people += [(f"{BENCH_PREFIX}{code}_{i}", f"{code}专员{i}", "specialist", [code]) for i in range(1, 5)]
        people += [(f"{BENCH_PREFIX}agent_{i}", f"坐席{i}", "agent", ["customer_service"]) for i in range(1, 9)]
        users: dict[str, User] = {}
        for username, display_name, role, codes in people:
            user, created = User.objects.get_or_create(username=username,
                                                       defaults={"display_name": display_name, "role": role})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.departments.set([departments[c] for c in codes])
            users[username] = user
    owners_by_department = {code: [users[SPECIALIST]] * (code == SPECIALIST_DEPARTMENT) +
                            [users[f"{BENCH_PREFIX}{code}_{i}"] for i in range(1, 5)] for code in departments}
    agents = [users[f"{BENCH_PREFIX}agent_{i}"] for i in range(1, 9)]
    phase("organisation")

    # Customers: about 0.8 per case, so some come back with a second case.
    n_customers = max(1, int(n * 0.8))
    customer_start = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    regions = list(getattr(data, "REGIONS", ["上海市浦东新区"]))
    streets = list(getattr(data, "STREETS", ["世纪大道100号"]))
    tiers = ["standard"] * 80 + ["member"] * 15 + ["vip"] * 4 + ["enterprise"]
    batch: list[Customer] = []
    with transaction.atomic():
        for i in range(n_customers):
            pk = customer_start + i
            if rng.random() < 0.05:
                batch.append(Customer(id=pk, is_anonymous=True))
            else:
                phone = f"1{rng.choice('3578')}{rng.randrange(10)}{pk:08d}"
                email = f"user{pk}@example.cn" if rng.random() < 0.3 else ""
                region = rng.choice(regions)
                batch.append(Customer(
                    id=pk, name=rng.choice(data.SURNAMES) + rng.choice(data.GIVEN), phone=phone,
                    phone_normalized=normalize_phone(phone), region=region, tier=rng.choice(tiers),
                    email=email, email_normalized=email,
                    address=region + rng.choice(streets) if rng.random() < 0.5 else "",
                ))
            if len(batch) >= 2000:
                Customer.objects.bulk_create(batch)
                batch = []
        Customer.objects.bulk_create(batch)
    phase(f"customers ({n_customers})")

    # Cases, generated in the order they were recorded so that numbers follow it.
    tpls = templates()
    weights = [t.weight for t in tpls]
    products_by_line: dict[str, list[Any]] = {}
    for p in products:
        products_by_line.setdefault(p.product_line, []).append(p)
    tails = list(getattr(data, "TAILS", DEFAULT_TAILS))
    span = 730 * 86400
    moments = []
    for _ in range(n):
        day_start = (now - dt.timedelta(seconds=rng.randrange(span))).astimezone(zone).replace(
            hour=0, minute=0, second=0, microsecond=0)
        received = day_start + dt.timedelta(hours=rng.choices(range(24), HOUR_WEIGHTS)[0],
                                            seconds=rng.randrange(3600))
        received = min(received, now - dt.timedelta(minutes=10))
        channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        delay = rng.choice([2, 5, 8, 12, 20, 25, 45]) if channel in MANUAL else rng.choice([0, 0, 1, 2, 7])
        moments.append((received + dt.timedelta(minutes=delay, seconds=rng.randrange(60)), received, channel))
    moments.sort()

    case_start = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    existing_days = dict(CaseNumberSequence.objects.filter(prefix=prefix).values_list("day", "last_value"))
    day_counter: Counter[dt.date] = Counter(existing_days)
    due_cache: dict[tuple[dt.date, str], dt.date] = {}

    def resolution_due(first_due: dt.datetime, priority: str) -> dt.datetime:
        local = first_due.astimezone(zone)
        key = (local.date(), priority)
        if key not in due_cache:
            due_cache[key] = deadlines.resolution_due(local, priority, zone).date()
        day = due_cache[key]
        return local.replace(year=day.year, month=day.month, day=day.day)

    cases: list[Case] = []
    index_rows: list[tuple[str, str, str, str]] = []
    for i, (recorded, received, channel) in enumerate(moments):
        pk = case_start + i
        tpl = rng.choices(tpls, weights)[0]
        pool = [p for line in tpl.lines for p in products_by_line.get(line, [])] or products
        product = rng.choice(pool)
        order = f"DD{received.astimezone(zone):%Y%m%d}{rng.randrange(10**5, 10**6)}"
        fill = {"product": product.name, "days": rng.choice([2, 3, 5, 7, 10, 15, 30]), "order": order}
        subject = tpl.subject.format(**fill)
        content = tpl.content.format(**fill) + rng.choice(tails)
        order_number = order if "{order}" in tpl.content else ""
        product_description = str(product)
        priority = tpl.priority if rng.random() < 0.85 else rng.choice(["high", "medium", "low"])
        age_days = (now - received).days
        status_weights = RECENT_STATUS_WEIGHTS if age_days <= RECENT_DAYS else OLD_STATUS_WEIGHTS
        status = rng.choices(list(status_weights), list(status_weights.values()))[0]
        dept_code = tpl.department if rng.random() < 0.92 else rng.choice(list(departments))
        department = None if status == "pending" and rng.random() < 0.5 else departments[dept_code]
        owner = None
        if department is not None and (status in OWNED or (status == "accepted" and rng.random() < 0.5)):
            owner = rng.choice(owners_by_department[dept_code])
        first_due = received + dt.timedelta(hours=deadlines.FIRST_RESPONSE_HOURS)
        res_due = resolution_due(first_due, priority)
        responded = None if status in {"pending", "rejected", "duplicate"} else min(
            received + dt.timedelta(minutes=rng.randrange(20, 60 * 40)), now)
        resolved_at = closed_at = None
        if status in {"resolved", "closed", "closed_pending_follow_up"}:
            resolved_at = min(received + dt.timedelta(hours=rng.randrange(4, 24 * 14)), now)
        if status in {"closed", "closed_pending_follow_up", "rejected", "duplicate"}:
            closed_at = min((resolved_at or received) + dt.timedelta(hours=rng.randrange(1, 72)), now)
        local_day = recorded.astimezone(zone).date()
        day_counter[local_day] += 1
        cases.append(Case(
            id=pk,
            number=format_case_number(prefix, local_day, day_counter[local_day]),
            status=status,
            status_before_pause="in_progress" if status in {"on_hold", "needs_information"} else "",
            is_escalated=priority == "high" and status not in RESOLVED and rng.random() < 0.3,
            channel=channel,
            feedback_type=tpl.feedback_type,
            priority=priority,
            external_id=f"{channel.upper()}-{pk:09d}" if channel in {"api", "wechat", "email"} else "",
            subject=subject,
            content=content,
            expectation=rng.choice(EXPECTATIONS),
            customer_id=rng.randrange(customer_start, customer_start + n_customers),
            product_id=product.pk,
            product_description=product_description,
            order_number=order_number,
            received_at=received,
            recorded_at=recorded,
            is_entry_late=recorded - received > dt.timedelta(minutes=30 if channel in MANUAL else 5),
            registered_by_id=rng.choice(agents).pk if channel in MANUAL else None,
            department_id=department.pk if department else None,
            owner_id=owner.pk if owner else None,
            first_response_due_at=first_due,
            resolution_due_at=res_due,
            first_responded_at=responded,
            resolved_at=resolved_at,
            closed_at=closed_at,
            rejection_reason=rng.choice(["spam", "abuse", "out_of_scope", "fake"]) if status == "rejected" else "",
            duplicate_of_id=rng.randrange(case_start, pk) if status == "duplicate" and pk > case_start else None,
            hold_reason="等待厂家寄送配件，预计5个工作日到货" if status == "on_hold" else "",
            special_group=rng.choice(["", "", "", "", "", "", "", "", "elderly", "disabled"]),
            needs_cross_department=rng.random() < 0.08,
        ))
        index_rows.append((subject, content, product_description, order_number))
    phase(f"generate {n} cases")

    terms = compute_index_terms(index_rows, workers)
    phase(f"search terms (jieba, {workers} processes)")

    with transaction.atomic():
        for start in range(0, len(cases), 2000):
            Case.objects.bulk_create(cases[start:start + 2000])
        phase("insert cases")
        docs = (CaseSearchDocument(case_id=c.pk, words=w, grams=g) for c, (w, g) in zip(cases, terms, strict=True))
        _bulk(CaseSearchDocument, docs)
        phase("insert search documents (+ FTS/GIN index)")
        events = (CaseEvent(case_id=c.pk, kind="created", actor_id=c.registered_by_id, at=c.recorded_at,
                            to_status="pending", is_internal=False,
                            changes={"channel": [None, c.channel], "received_at": [None, c.received_at.isoformat()]})
                  for c in cases)
        _bulk(CaseEvent, events)
        phase("insert events")
        sequences = [CaseNumberSequence(prefix=prefix, day=day, last_value=value)
                     for day, value in day_counter.items() if day not in existing_days]
        CaseNumberSequence.objects.bulk_create(sequences, batch_size=2000)
        for day, value in day_counter.items():
            if day in existing_days and value != existing_days[day]:
                CaseNumberSequence.objects.filter(prefix=prefix, day=day).update(last_value=value)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Customer, Case, CaseEvent]):
                cursor.execute(statement)

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO cases_case_fts(cases_case_fts) VALUES('optimize')")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("VACUUM (ANALYZE)")
    phase("optimize / analyze")
    report.seconds = time.perf_counter() - started
    return report


def _bulk(model: Any, objects: Iterable[Any], size: int = 2000) -> None:
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


# --- Scenarios ---------------------------------------------------------------------------------------

COMMON_WORDS = ["漏水", "噪音", "退款", "掉线", "破损", "维修"]
RARE_WORDS = ["发霉", "焦味", "夜间模式", "凹痕"]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    username: str
    params: list[dict[str, Any]]


def scenarios() -> list[Scenario]:
    open_statuses = ["pending", "accepted", "in_progress"]
    return [
        Scenario("a_list", "plain list, page 1", SUPERVISOR, [{}]),
        Scenario("b_deep_page", "plain list, page 200", SUPERVISOR,
                 [{"page": p} for p in (200, 201, 199, 250)]),
        Scenario("c_status_priority", "status + priority filters", SUPERVISOR, [
            {"status": ["in_progress", "pending"], "priority": "high"},
            {"status": "closed", "priority": "medium"},
            {"status": ["on_hold", "needs_information"], "priority": ["high", "medium"]},
        ]),
        Scenario("d1_search_common", "Chinese search, common words", SUPERVISOR, [{"q": w} for w in COMMON_WORDS]),
        Scenario("d2_search_rare", "Chinese search, less common words", SUPERVISOR, [{"q": w} for w in RARE_WORDS]),
        Scenario("e_search_filters", "Chinese search + status/priority filters", SUPERVISOR, [
            {"q": "漏水", "status": open_statuses, "priority": ["high", "medium"]},
            {"q": "退款", "status": "closed", "priority": "medium"},
            {"q": "噪音", "status": open_statuses, "priority": "medium"},
            {"q": "掉线", "status": ["closed", "resolved"], "priority": ["high", "medium"]},
            {"q": "发霉", "status": "closed", "priority": "low"},
            {"q": "师傅 漏水", "status": [*open_statuses, "on_hold"], "priority": ["high", "medium", "low"]},
        ]),
        Scenario("f_overdue", "overdue filter", SUPERVISOR, [{"overdue": "on"}, {"overdue": "on", "priority": "high"}]),
        Scenario("g1_specialist_list", "specialist (after-sales scope), page 1", SPECIALIST, [{}]),
        Scenario("g2_specialist_search", "specialist scope + Chinese search", SPECIALIST,
                 [{"q": w} for w in ["漏水", "维修", "配件", "发霉", "外壳"]]),
    ]


def query_string(params: dict[str, Any]) -> str:
    return urlencode(params, doseq=True)


@dataclass
class Result:
    scenario: Scenario
    timings_ms: list[float]
    cpu_ms: list[float]
    rows: list[int]
    queries: int
    query_sql: list[str]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def matched_rows(user: Any, params: dict[str, Any]) -> int:
    from django.http import QueryDict

    from caseloop.cases.selectors import case_list
    from caseloop.console.forms import CaseFilterForm

    query = QueryDict(query_string(params))
    return case_list(user=user, filters=CaseFilterForm(query).to_filters()).count()


def run_scenario(scenario: Scenario, *, requests: int, warmup: int) -> Result:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from caseloop.accounts.models import User

    user = User.objects.get(username=scenario.username)
    client = Client()
    client.force_login(user)
    url = reverse("console:case_list")
    urls = [f"{url}?{query_string(p)}" if p else url for p in scenario.params]

    def get(target: str) -> None:
        response = client.get(target)
        if response.status_code != 200:
            raise SystemExit(f"{scenario.name}: GET {target} answered {response.status_code}")

    for i in range(warmup):
        get(urls[i % len(urls)])
    timings, cpu = [], []
    for i in range(requests):
        target = urls[i % len(urls)]
        c0, t0 = time.process_time(), time.perf_counter()
        get(target)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        get(urls[0])
    rows = [matched_rows(user, p) for p in scenario.params]
    return Result(scenario, timings, cpu, rows, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries])


def explain(sql: str) -> str:
    """The plan of one captured query, and its median time over 5 runs."""
    from django.db import connection

    with connection.cursor() as cursor:
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            runs.append((time.perf_counter() - t0) * 1000)
        took = f"    -- {sorted(runs)[2]:.1f} ms (median of 5)\n"
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return took + "\n".join(f"    {row[3]}" for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return took + "\n".join(f"    {row[0]}" for row in cursor.fetchall())


def print_table(results: list[Result]) -> None:
    header = f"{'scenario':<22} {'requests':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'rows matched':>15} {'SQL':>4} {'cpu p50':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        t = r.timings_ms
        rows = f"{min(r.rows)}" if min(r.rows) == max(r.rows) else f"{min(r.rows)}–{max(r.rows)}"
        print(f"{r.scenario.name:<22} {len(t):>8} {percentile(t, 50):>8.1f} {percentile(t, 95):>8.1f} "
              f"{percentile(t, 99):>8.1f} {max(t):>8.1f} {rows:>15} {r.queries:>4} {percentile(r.cpu_ms, 50):>8.1f}")
    print("(wall-clock ms over the whole request: middleware, session, view, queries, template; SQL: queries per\n"
          " request; cpu p50: CPU ms of this process per request — all of it on SQLite, the Django side on PostgreSQL)")


def peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = configure_environment(args)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from caseloop.cases.models import Case

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    safe_url = url.split("@")[-1] if "@" in url else url
    print(f"Caseloop case-list benchmark — {connection.vendor} ({safe_url})"
          + (f" with PGOPTIONS={args.pg_options!r}" if args.pg_options else ""))
    rebuild_database(drop=args.reseed)
    existing = Case.objects.count()
    seeded = None
    if existing >= args.cases:
        print(f"Database already holds {existing} cases (>= {args.cases}); not re-seeding (--reseed forces it).")
    else:
        if existing:
            print(f"Database holds {existing} < {args.cases} cases: rebuilding it.")
            rebuild_database(drop=True)
        print(f"Seeding {args.cases} cases …")
        seeded = seed(args.cases, rng_seed=args.seed, workers=args.workers, log=print)
        print(f"Seeded {seeded.cases} cases in {seeded.seconds:.1f} s "
              f"({seeded.cases / seeded.seconds:,.0f} cases/s)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        db_version = cursor.fetchone()[0]
    total = Case.objects.count()
    print(f"{total} cases; {connection.vendor} {db_version}; Python {platform.python_version()}; "
          f"{os.cpu_count()} CPUs; page size {settings.CASELOOP['CASE_LIST_PAGE_SIZE']}")

    print("Load average before measuring: {:.2f} {:.2f} {:.2f} (other work on the machine skews latencies)".format(
        *os.getloadavg()))
    selected = [s for s in scenarios() if not args.scenario or any(s.name.startswith(p) for p in args.scenario)]
    results = []
    for scenario in selected:
        result = run_scenario(scenario, requests=args.requests, warmup=args.warmup)
        results.append(result)
        print(f"  {scenario.name:<22} p95 {percentile(result.timings_ms, 95):7.1f} ms  ({scenario.description})",
              flush=True)
    print()
    print_table(results)
    print()
    print("SQL queries per request (one request of each scenario, CaptureQueriesContext):")
    for r in results:
        kinds = Counter(_query_kind(sql) for sql in r.query_sql)
        print(f"  {r.scenario.name:<22} {r.queries:>3}  " + ", ".join(f"{k} ×{n}" for k, n in kinds.items()))
    own, children = peak_rss_mib()
    print()
    print("Load average after measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"Peak RSS: {own:.0f} MiB (this process), {children:.0f} MiB (largest seeding worker)")
    if seeded:
        print(f"Seeding: {seeded.cases} cases in {seeded.seconds:.1f} s = {seeded.cases / seeded.seconds:,.0f} cases/s")
    headline = next((r for r in results if r.scenario.name == "e_search_filters"), None)
    if headline:
        p95 = percentile(headline.timings_ms, 95)
        verdict = "meets" if p95 < 100 else "MISSES"
        print(f"Target: search + filters p95 {p95:.1f} ms {verdict} the 100 ms target")
    if args.explain:
        print()
        for r in results:
            print(f"== {r.scenario.name}: {query_string(r.scenario.params[0]) or '(no filters)'}")
            for sql in r.query_sql:
                if "cases_case" not in sql:
                    continue
                print(f"  {sql}")
                print(explain(sql))
    return 0


def _query_kind(sql: str) -> str:
    lowered = sql.lower()
    if "django_session" in lowered:
        return "session"
    if "count(" in lowered and "cases_case" in lowered and "group by" in lowered:
        return "status tabs"
    if "count(" in lowered and "cases_case" in lowered:
        return "paginator count"
    if "from \"cases_case\"" in lowered:
        return "page rows"
    if "from \"accounts_department\"" in lowered:
        return "department choices"
    if "from \"accounts_user\"" in lowered and "is_active" in lowered.split(" where ", 1)[-1]:
        return "owner choices"
    if "from \"accounts_user\"" in lowered:
        return "auth user"
    return "other"


if __name__ == "__main__":
    sys.exit(main())

"""Bulk import of cases from CSV or XLSX (`caseloop import cases FILE`), e.g. history from another system.

Plain steps, each usable on its own:

1. `read_table(path)` → header and rows (CSV in UTF-8, UTF-8 with BOM, UTF-16 or GB18030; XLSX read-only);
2. `column_mapping(header, overrides)` → which column feeds which field (Chinese and English headers
   are known; a JSON mapping file names the others);
3. `validate_row(...)` → a CaseRegistration or the problems of that row, each naming row and column;
4. `import_cases(...)` → registers valid rows through the one intake service, in batches.

Idempotent by external ID: a row whose (channel, external ID) is already registered is counted as
"already present" and skipped; `case_register` enforces the same rule for rows that race.
Imported cases keep the file's contact time (`received_at`); `recorded_at` is the import time,
because that is when we recorded them. Customers are not acknowledged: the cases are history.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connections, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from caseloop.cases.bulk import case_register_bulk
from caseloop.cases.choices import Channel, FeedbackType, Priority
from caseloop.cases.models import Case
from caseloop.cases.services import ALLOWED_CLOCK_SKEW, CaseRegistration, case_register
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from caseloop.customers.normalize import normalize_phone
from caseloop.customers.services import CustomerDetails

# Fields a column can feed; the names are those of a JSON mapping file.
FIELDS = (
    "external_id", "customer_name", "phone", "email", "member_id", "address", "region", "subject", "content",
    "received_at", "product_model", "order_number", "serial_number", "channel", "feedback_type", "priority",
    "expectation",
)

# Headers recognised without a mapping file (compared after trimming, lower-casing and dropping spaces).
DEFAULT_HEADERS: dict[str, str] = {
    **dict.fromkeys(["工单号", "外部编号", "外部单号", "原工单号", "编号", "external_id", "externalid", "id", "ticketid",
                     "ticket"], "external_id"),
    **dict.fromkeys(["客户姓名", "姓名", "客户", "客户名称", "联系人", "customer", "customername", "name"], "customer_name"),
    **dict.fromkeys(["电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "phone", "mobile", "telephone", "tel"], "phone"),
    **dict.fromkeys(["邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail"], "email"),
    **dict.fromkeys(["会员号", "会员编号", "会员卡号", "memberid", "member"], "member_id"),
    **dict.fromkeys(["地址", "联系地址", "address"], "address"),
    **dict.fromkeys(["地区", "区域", "省份", "region"], "region"),
    **dict.fromkeys(["标题", "主题", "反馈主题", "subject", "title"], "subject"),
    **dict.fromkeys(["内容", "反馈内容", "投诉内容", "详情", "描述", "问题描述", "content", "description", "body", "details"],
                    "content"),
    **dict.fromkeys(["接收时间", "反馈时间", "投诉时间", "受理时间", "来电时间", "时间", "日期", "received_at", "receivedat",
                     "date", "time", "created"], "received_at"),
    **dict.fromkeys(["产品型号", "型号", "产品", "productmodel", "model", "product"], "product_model"),
    **dict.fromkeys(["订单号", "订单编号", "ordernumber", "order", "orderno"], "order_number"),
    **dict.fromkeys(["序列号", "sn", "serialnumber", "serial"], "serial_number"),
    **dict.fromkeys(["渠道", "来源", "来源渠道", "反馈渠道", "channel", "source"], "channel"),
    **dict.fromkeys(["类型", "反馈类型", "问题类型", "feedbacktype", "type"], "feedback_type"),
    **dict.fromkeys(["优先级", "紧急程度", "priority"], "priority"),
    **dict.fromkeys(["诉求", "客户诉求", "期望", "expectation"], "expectation"),
}

_EXTRA_CHANNELS = {
    "热线": Channel.PHONE, "电话": Channel.PHONE, "客服电话": Channel.PHONE, "400": Channel.PHONE,
    "邮件": Channel.EMAIL, "电子邮件": Channel.EMAIL, "微信": Channel.WECHAT, "公众号": Channel.WECHAT,
    "小程序": Channel.WECHAT, "短信": Channel.SMS, "网站": Channel.WEB, "官网": Channel.WEB, "网页": Channel.WEB,
    "app": Channel.API, "门店": Channel.STORE, "服务中心": Channel.SERVICE_CENTER, "售后网点": Channel.SERVICE_CENTER,
    "纸质": Channel.PAPER, "信函": Channel.PAPER, "微博": Channel.SOCIAL, "论坛": Channel.SOCIAL, "社交媒体": Channel.SOCIAL,
    "导入": Channel.IMPORT,
}
_EXTRA_PRIORITIES = {"高": Priority.HIGH, "紧急": Priority.HIGH, "中": Priority.MEDIUM, "普通": Priority.MEDIUM,
                     "低": Priority.LOW}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
                 "%Y.%m.%d %H:%M", "%Y.%m.%d", "%Y%m%d")
_CHINESE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?$")
SUBJECT_MAX = 200
EXTERNAL_ID_MAX = 120
BATCH_SIZE = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, mapping); nothing was imported."""


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str  # the header as written in the file, with its letter: "邮箱 (C)"
    message: str
    value: str = ""

    def __str__(self) -> str:
        where = _("row %(row)d, column %(column)s") % {"row": self.row, "column": self.column} if self.column \
            else _("row %(row)d") % {"row": self.row}
        shown = f" “{self.value[:60]}”" if self.value else ""
        return f"{where}: {self.message}{shown}"


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]  # data rows only; rows[0] is the file's row 2
    encoding: str = ""


@dataclass
class ImportSummary:
    total: int = 0
    created: int = 0
    already_present: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)
    created_numbers: list[str] = field(default_factory=list)


# --- 1. Reading ------------------------------------------------------------------------------------


def read_table(path: Path) -> Table:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return _read_csv(path.read_bytes())
    raise ImportFileError(_("Only .csv and .xlsx files can be imported."))


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text and the encoding: a BOM decides; else UTF-8 if it decodes, else GB18030 (GBK, GB2312)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is neither UTF-8 nor GB18030 text (byte %(at)d).") % {"at": exc.start}) from exc


def _read_csv(data: bytes) -> Table:
    text, encoding = decode_csv(data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    if not rows:
        raise ImportFileError(_("The file is empty."))
    return Table(header=rows[0], rows=rows[1:], encoding=encoding)


def _read_xlsx(path: Path) -> Table:
    # calamine (Rust) reads a sheet about fourteen times faster than openpyxl's read-only mode,
    # which took a third of an XLSX import's time.
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        # From A1, not from the first filled cell: the report's column letters must be the sheet's.
        cells = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # a damaged or foreign file fails in many ways
        raise ImportFileError(_("The workbook cannot be read: %(error)s") % {"error": exc}) from exc
    values = [[_cell_text(cell) for cell in row] for row in cells]
    while values and not any(values[-1]):
        values.pop()
    if not values:
        raise ImportFileError(_("The workbook's first sheet is empty."))
    return Table(header=values[0], rows=values[1:], encoding="xlsx")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and IDs typed as numbers
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- 2. Mapping ------------------------------------------------------------------------------------


def load_mapping(path: Path) -> dict[str, str]:
    """A JSON object {"header in the file": "field"}, or {"columns": {…}}; "" or null skips a column."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(_("The mapping file cannot be read: %(error)s") % {"error": exc}) from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ImportFileError(_("The mapping file must be a JSON object of column headers to field names."))
    unknown = sorted({str(v) for v in data.values() if v and v not in FIELDS})
    if unknown:
        raise ImportFileError(_("Unknown field(s) in the mapping: %(fields)s. Known: %(known)s.")
                              % {"fields": ", ".join(unknown), "known": ", ".join(FIELDS)})
    return {key: str(value or "") for key, value in data.items()}


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lstrip("\ufeff").lower())


def column_mapping(header: Sequence[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """field → column index. The mapping file wins over the default headers; the first column wins ties."""
    overrides_by_key = {_header_key(k): v for k, v in (overrides or {}).items()}
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        target = overrides_by_key[key] if key in overrides_by_key else DEFAULT_HEADERS.get(key, "")
        if target and target not in mapping:
            mapping[target] = index
    if "subject" not in mapping and "content" not in mapping:
        raise ImportFileError(_("No column holds the subject or the content; give a mapping file (--mapping)."))
    return mapping


def column_name(header: Sequence[str], index: int) -> str:
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    title = header[index].strip().lstrip("\ufeff") if index < len(header) else ""
    return f"{title} ({letters})" if title else letters


# --- 3. Validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Channel, priority and type values as people write them (codes, labels in every language)."""

    channels: dict[str, str]
    priorities: dict[str, str]
    feedback_types: dict[str, str]

    @classmethod
    def build(cls) -> Vocabulary:
        def lookup(choices: Iterable[tuple[str, Any]], extra: Mapping[str, str]) -> dict[str, str]:
            table = {_header_key(k): v for k, v in extra.items()}
            for value, label in choices:
                table[_header_key(value)] = value
                for language in ("zh-hans", "zh-hant", "en"):
                    with override(language):
                        table.setdefault(_header_key(str(label)), value)
            return table

        return cls(channels=lookup(Channel.choices, _EXTRA_CHANNELS),
                   priorities=lookup(Priority.choices, _EXTRA_PRIORITIES),
                   feedback_types=lookup(FeedbackType.choices, {}))


def parse_received_at(text: str) -> dt.datetime | None:
    """ISO 8601, 2026-01-05 09:30[:00], 2026/1/5 9:30, 2026年1月5日 9:30, a bare date; local time if no offset."""
    text = text.strip()
    moment: dt.datetime | None = None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        if found := _CHINESE_DATE.match(text):
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in found.groups())
            try:
                moment = dt.datetime(y, mo, d, h, mi, s)  # noqa: DTZ001 (zone attached below)
            except ValueError:
                return None
        else:
            for pattern in _DATE_FORMATS:
                try:
                    moment = dt.datetime.strptime(text, pattern)  # noqa: DTZ007 (zone attached below)
                    break
                except ValueError:
                    continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.organisation_zone())
    return moment


def validate_row(
    cells: Sequence[str], *, row_number: int, header: Sequence[str], mapping: dict[str, int], default_channel: str,
    vocabulary: Vocabulary, now: dt.datetime,
) -> tuple[CaseRegistration | None, list[Problem]]:
    """The row as a registration, or None and every problem found in it (not just the first)."""
    problems: list[Problem] = []

    def value(name: str) -> str:
        index = mapping.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def problem(name: str, message: str, shown: str = "") -> None:
        index = mapping.get(name)
        problems.append(Problem(row=row_number, column=column_name(header, index) if index is not None else name,
                                message=message, value=shown))

    external_id = value("external_id")
    if not external_id:
        problem("external_id", _("the external ID is missing (it makes a second import skip this row)"))
    elif len(external_id) > EXTERNAL_ID_MAX:
        problem("external_id", _("the external ID is longer than %(n)d characters") % {"n": EXTERNAL_ID_MAX}, external_id)
    subject, content = value("subject"), value("content")
    if not subject:
        problem("subject", _("the subject is missing"))
    elif len(subject) > SUBJECT_MAX:
        problem("subject", _("the subject is longer than %(n)d characters") % {"n": SUBJECT_MAX}, subject)
    raw_time = value("received_at")
    received_at = parse_received_at(raw_time) if raw_time else None
    if not raw_time:
        problem("received_at", _("the contact time is missing"))
    elif received_at is None:
        problem("received_at", _("the date and time cannot be read"), raw_time)
    elif received_at > now + ALLOWED_CLOCK_SKEW:
        problem("received_at", _("the contact time is in the future"), raw_time)
    channel = default_channel
    if raw_channel := value("channel"):
        channel = vocabulary.channels.get(_header_key(raw_channel), "")
        if not channel:
            problem("channel", _("unknown channel"), raw_channel)
    priority: str = Priority.MEDIUM
    if raw_priority := value("priority"):
        priority = vocabulary.priorities.get(_header_key(raw_priority), "")
        if not priority:
            problem("priority", _("unknown priority"), raw_priority)
    feedback_type = ""
    if raw_type := value("feedback_type"):
        feedback_type = vocabulary.feedback_types.get(_header_key(raw_type), "")
        if not feedback_type:
            problem("feedback_type", _("unknown feedback type"), raw_type)
    email = value("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", _("not a valid e-mail address"), email)
    phone = value("phone")
    if phone and len(normalize_phone(phone).lstrip("+")) < 5:
        problem("phone", _("not a phone number"), phone)
    customer = CustomerDetails(name=value("customer_name")[:120], phone=phone, email=email, member_id=value("member_id"),
                               address=value("address"), region=value("region"))
    if not customer.has_contact_point and not customer.name:
        problem("customer_name", _("neither the customer's name nor a phone, e-mail or member ID is given"))
    if problems or received_at is None:
        return None, problems
    return CaseRegistration(
        channel=channel, subject=subject, content=content or subject, received_at=received_at, customer=customer,
        priority=priority, feedback_type=feedback_type, product_model=value("product_model"),
        order_number=value("order_number"), serial_number=value("serial_number"), expectation=value("expectation"),
        external_id=external_id,
    ), []


# --- 4. Registering -------------------------------------------------------------------------------


def import_cases(
    table: Table, *, mapping: dict[str, int], default_channel: str = Channel.IMPORT, dry_run: bool = False,
    batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Validate every row and register the valid new ones; bad rows never stop good rows.

    Each batch is one transaction (and each row a savepoint within it), so a failure costs at most
    its own row; the existing external IDs of a batch are looked up in one query.
    """
    if default_channel not in Channel.values:
        raise ImportFileError(_("Unknown channel “%(channel)s”.") % {"channel": default_channel})
    summary = ImportSummary(total=len(table.rows))
    vocabulary = Vocabulary.build()
    now = clock.now()
    first_row_of: dict[tuple[str, str], int] = {}
    with _Registrar(summary, dry_run=dry_run) as registrar:
        _validate_and_register(table, mapping=mapping, default_channel=default_channel, batch_size=batch_size,
                               progress=progress, summary=summary, vocabulary=vocabulary, now=now,
                               first_row_of=first_row_of, registrar=registrar)
    summary.problems.sort(key=lambda problem: problem.row)  # the registrar's come in from its thread
    return summary


def _validate_and_register(
    table: Table, *, mapping: dict[str, int], default_channel: str, batch_size: int,
    progress: Callable[[int], None] | None, summary: ImportSummary, vocabulary: Vocabulary, now: dt.datetime,
    first_row_of: dict[tuple[str, str], int], registrar: _Registrar,
) -> None:
    for start in range(0, len(table.rows), batch_size):
        batch: list[tuple[int, CaseRegistration]] = []
        for offset, cells in enumerate(table.rows[start:start + batch_size]):
            row_number = start + offset + 2
            if not any(cell.strip() for cell in cells):
                summary.total -= 1  # blank lines are not rows
                continue
            registration, problems = validate_row(cells, row_number=row_number, header=table.header, mapping=mapping,
                                                  default_channel=default_channel, vocabulary=vocabulary, now=now)
            if registration is not None:
                key = (registration.channel, registration.external_id)
                if key in first_row_of:
                    problems = [Problem(row=row_number, column=column_name(table.header, mapping["external_id"]),
                                        message=_("the same external ID as row %(row)d") % {"row": first_row_of[key]},
                                        value=registration.external_id)]
                else:
                    first_row_of[key] = row_number
                    batch.append((row_number, registration))
            if problems:
                summary.invalid += 1
                summary.problems.extend(problems)
        registrar.register(batch)
        if progress is not None:
            progress(min(batch_size, len(table.rows) - start))


class _Registrar:
    """Registers the batches in order, on a thread of its own where it can: the next batch is read
    and checked while the database writes this one (each is about half of an import's time).

    Inside a caller's transaction (an admin action, a test) the batches are registered right away
    on the caller's connection instead: a thread cannot share a transaction.
    """

    def __init__(self, summary: ImportSummary, *, dry_run: bool) -> None:
        self.summary = summary
        self.dry_run = dry_run
        threaded = not dry_run and not transaction.get_connection().in_atomic_block
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import") if threaded else None
        self._pending: Future[None] | None = None

    def register(self, batch: list[tuple[int, CaseRegistration]]) -> None:
        if self._thread is None:
            _register_batch(batch, self.summary, dry_run=self.dry_run)
            return
        self._wait()  # one batch at a time, in file order
        self._pending = self._thread.submit(_register_batch, batch, self.summary, dry_run=False)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()  # re-raises what went wrong there
            self._pending = None

    def __enter__(self) -> _Registrar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        try:
            self._wait()
        finally:
            self._thread.submit(connections.close_all).result()  # the thread's own connection
            self._thread.shutdown()


def _register_batch(batch: list[tuple[int, CaseRegistration]], summary: ImportSummary, *, dry_run: bool) -> None:
    if not batch:
        return
    present = _already_registered([registration for _row, registration in batch])
    new = [(row, reg) for row, reg in batch if (reg.channel, reg.external_id) not in present]
    summary.already_present += len(batch) - len(new)
    if dry_run:
        summary.created += len(new)
        return
    try:
        # The fast path: the whole batch in a few statements (cases.bulk).
        cases = case_register_bulk(registrations=[reg for _row, reg in new], registered_by=None)
    except (ApplicationError, DatabaseError, ValueError):
        # Something in the batch is refused (or was registered meanwhile): row by row, so that
        # only the faulty row is reported and every good row still lands.
        _register_rows(new, summary)
        return
    summary.created += len(cases)
    summary.created_numbers.extend(case.number for case in cases)


def _register_rows(rows: list[tuple[int, CaseRegistration]], summary: ImportSummary) -> None:
    with transaction.atomic():
        for row_number, registration in rows:
            try:
                with transaction.atomic():
                    result = case_register(registration=registration, registered_by=None)
            except (ApplicationError, DatabaseError) as exc:
                summary.invalid += 1
                message = exc.message if isinstance(exc, ApplicationError) else f"{type(exc).__name__}: {exc}"
                summary.problems.append(Problem(row=row_number, column="", message=message))
                continue
            if result.created:
                summary.created += 1
                summary.created_numbers.append(result.case.number)
            else:  # registered meanwhile by someone else
                summary.already_present += 1


def _already_registered(registrations: list[CaseRegistration]) -> set[tuple[str, str]]:
    ids = {reg.external_id for reg in registrations}
    channels = {reg.channel for reg in registrations}
    return set(Case.objects.filter(channel__in=channels, external_id__in=ids).values_list("channel", "external_id"))

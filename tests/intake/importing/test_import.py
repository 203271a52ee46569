from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case
from caseloop.intake import importing
from caseloop.notify.models import OutboxMessage

HEADER = ["工单号", "客户姓名", "电话", "邮箱", "标题", "反馈内容", "接收时间", "产品型号", "订单号", "渠道"]


def _row(n: int, **changes: str) -> list[str]:
    row = {"工单号": f"OLD-{n:04d}", "客户姓名": f"客户{n}", "电话": f"139{n:08d}", "邮箱": f"c{n}@example.cn",
           "标题": f"洗衣机噪音大（{n}）", "反馈内容": "脱水时噪音很大，希望上门检查。", "接收时间": "2025-03-01 09:30",
           "产品型号": "XQG80-B1", "订单号": f"SO{n:06d}", "渠道": "电话"}
    row.update(changes)
    return [row[h] for h in HEADER]


def _csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig", header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", "cases", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_csv_in_utf8_with_bom_creates_cases_without_mailing_customers(tmp_path: Path) -> None:
    path = _csv(tmp_path / "cases.csv", [_row(1), _row(2)])

    output = _import(path)

    assert "共 2 行：新建 2 条，已存在 0 条，无效 0 条" in output
    case = Case.objects.get(external_id="OLD-0001")
    assert case.channel == Channel.PHONE
    assert case.subject == "洗衣机噪音大（1）"
    assert case.customer.phone_normalized == "13900000001"
    assert case.customer.email == "c1@example.cn"
    assert case.order_number == "SO000001"
    assert case.received_at == dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    assert case.recorded_at > case.received_at + dt.timedelta(days=30)  # recorded now, not back-dated
    assert not OutboxMessage.objects.exists()  # historical cases: no acknowledgement e-mail


@pytest.mark.django_db
def test_csv_in_gb18030_is_detected(tmp_path: Path) -> None:
    path = _csv(tmp_path / "gbk.csv", [_row(1, 标题="冰箱不制冷"), _row(2)], encoding="gb18030")

    output = _import(path)

    assert "（gb18030）" in output
    assert Case.objects.get(external_id="OLD-0001").subject == "冰箱不制冷"
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_xlsx_is_read_with_dates_and_numbers_as_typed(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["External ID", "Customer name", "Phone", "Subject", "Content", "Received at", "Channel", "Priority"])
    sheet.append(["X-1", "Li Lei", 13800138000, "Dryer broken", "It stopped after a week.", dt.datetime(2025, 6, 1, 14, 0),
                  "WeChat", "High"])
    sheet.append(["X-2", "韩梅梅", "13700137000", "空调漏水", "外机滴水", "2025年6月2日 8:15", "短信", "低"])
    path = tmp_path / "cases.xlsx"
    workbook.save(path)

    _import(path)

    first, second = Case.objects.get(external_id="X-1"), Case.objects.get(external_id="X-2")
    assert first.customer.phone == "13800138000"
    assert (first.channel, first.priority) == (Channel.WECHAT, "high")
    assert first.received_at == dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.UTC)
    assert (second.channel, second.priority) == (Channel.SMS, "low")
    assert second.received_at == dt.datetime(2025, 6, 2, 0, 15, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_mapping_file_names_unusual_headers(tmp_path: Path) -> None:
    header = ["Ref", "Who", "Mobile no", "Summary", "Body", "When"]
    path = _csv(tmp_path / "odd.csv", [["R-9", "Wang", "13600136000", "Noisy fan", "Fan rattles", "2025-01-02T03:04:05+08:00"]],
                header=header)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Ref": "external_id", "Who": "customer_name", "Mobile no": "phone",
                                   "Summary": "subject", "Body": "content", "When": "received_at"}), encoding="utf-8")

    _import(path, "--mapping", str(mapping), "--channel", "service_center")

    case = Case.objects.get(external_id="R-9")
    assert case.channel == Channel.SERVICE_CENTER
    assert case.content == "Fan rattles"


def test_mapping_file_with_unknown_field_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text('{"Ref": "ticket_number"}', encoding="utf-8")

    with pytest.raises(importing.ImportFileError, match="ticket_number"):
        importing.load_mapping(mapping)


@pytest.mark.django_db
def test_validation_report_names_row_and_column_and_bad_rows_do_not_stop_good_rows(tmp_path: Path) -> None:
    rows = [
        _row(1),
        _row(2, 标题=""),  # row 3
        _row(3, 接收时间="下周二"),  # row 4
        _row(4, 渠道="信鸽"),  # row 5
        _row(5, 邮箱="not-an-address"),  # row 6
        _row(6),
        _row(1),  # row 8: the same external ID as row 2
    ]
    path = _csv(tmp_path / "mixed.csv", rows)

    with pytest.raises(CommandError, match="有 5 行未导入"):
        call_command("import", "cases", str(path), stdout=(out := io.StringIO()))

    report = out.getvalue()
    assert "第 3 行，标题 (E) 列: 缺少主题" in report
    assert "第 4 行，接收时间 (G) 列: 无法识别日期时间 “下周二”" in report
    assert "第 5 行，渠道 (J) 列: 未知渠道 “信鸽”" in report
    assert "第 6 行，邮箱 (D) 列: 不是有效的电子邮箱地址 “not-an-address”" in report
    assert "第 8 行，工单号 (A) 列: 外部编号与第 2 行重复" in report
    assert "共 7 行：新建 2 条，已存在 0 条，无效 5 条" in report
    assert set(Case.objects.values_list("external_id", flat=True)) == {"OLD-0001", "OLD-0006"}


@pytest.mark.django_db
def test_dry_run_creates_nothing(tmp_path: Path) -> None:
    path = _csv(tmp_path / "cases.csv", [_row(1), _row(2)])

    output = _import(path, "--dry-run")

    assert "将新建 2 条" in output
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_second_run_creates_nothing_new(tmp_path: Path) -> None:
    path = _csv(tmp_path / "cases.csv", [_row(n) for n in range(1, 8)])
    _import(path)

    output = _import(path)

    assert "共 7 行：新建 0 条，已存在 7 条，无效 0 条" in output
    assert Case.objects.count() == 7


@pytest.mark.django_db
def test_rows_are_registered_in_batches(tmp_path: Path) -> None:
    table = importing.read_table(_csv(tmp_path / "cases.csv", [_row(n) for n in range(1, 12)] + [["", "", ""]]))
    advanced: list[int] = []

    summary = importing.import_cases(table, mapping=importing.column_mapping(table.header), batch_size=5,
                                     progress=advanced.append)

    assert (summary.total, summary.created, summary.invalid) == (11, 11, 0)  # the blank line is no row
    assert advanced == [5, 5, 2]
    assert len(set(summary.created_numbers)) == 11


def test_unreadable_bytes_are_a_file_error() -> None:
    with pytest.raises(importing.ImportFileError):
        importing.decode_csv(b"\x81\x30\xff\xff\xff")


def test_a_file_without_subject_or_content_column_needs_a_mapping() -> None:
    with pytest.raises(importing.ImportFileError, match="--mapping"):
        importing.column_mapping(["foo", "bar"])


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-01 09:30", dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)),
    ("2025/3/1 9:30", dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)),
    ("2025年3月1日 9:30", dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)),
    ("2025-03-01T09:30:00Z", dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)),
    ("2025-03-01", dt.datetime(2025, 2, 28, 16, 0, tzinfo=dt.UTC)),
    ("2025-02-30", None),
    ("soon", None),
])
def test_received_at_formats(text: str, expected: dt.datetime | None) -> None:
    assert importing.parse_received_at(text) == expected


@pytest.mark.django_db(transaction=True)  # outside a caller's transaction the batches are written on a thread
def test_a_standalone_import_writes_batches_in_file_order_and_reports_problems_by_row(tmp_path: Path) -> None:
    rows = [_row(n) for n in range(1, 13)]
    rows[3] = _row(4, 标题="")  # row 5
    rows[10] = _row(11, 接收时间="下周二")  # row 12
    table = importing.read_table(_csv(tmp_path / "cases.csv", rows))
    mapping = importing.column_mapping(table.header)

    summary = importing.import_cases(table, mapping=mapping, batch_size=4)

    assert (summary.total, summary.created, summary.invalid) == (12, 10, 2)
    assert [problem.row for problem in summary.problems] == [5, 12]
    # Numbers follow the file: each batch is registered after the one before it.
    numbers = dict(Case.objects.values_list("external_id", "number"))
    in_file_order = [numbers[f"OLD-{n:04d}"] for n in range(1, 13) if n not in (4, 11)]
    assert in_file_order == sorted(in_file_order)
    assert summary.created_numbers == in_file_order

    again = importing.import_cases(table, mapping=mapping, batch_size=4)
    assert (again.created, again.already_present) == (0, 10)


def test_a_damaged_workbook_is_a_file_error_and_columns_keep_their_letters(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(importing.ImportFileError, match="无法读取工作簿"):
        importing.read_table(damaged)

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "标题", "反馈内容"  # the table starts at C3
    sheet["C4"], sheet["D4"] = "冰箱不制冷", "买了一周就不制冷了"
    path = tmp_path / "offset.xlsx"
    workbook.save(path)

    table = importing.read_table(path)
    # Read from A1, as the sheet shows it: the title sits in column C (index 2) of row 3.
    assert table.rows[1][2:4] == ["标题", "反馈内容"]
    assert table.rows[2][2:4] == ["冰箱不制冷", "买了一周就不制冷了"]

"""Finding cases: Chinese full text (words + bigrams), case and phone numbers, and the list filters."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Role
from caseloop.cases import search
from caseloop.cases.choices import CaseStatus as S
from caseloop.cases.choices import Priority
from caseloop.cases.models import Case
from caseloop.cases.search import IndexTerms, QueryTerm
from caseloop.cases.selectors import CaseFilters, case_list
from caseloop.cases.services import case_assign, case_transition, case_update_fields
from caseloop.cases.workflow import Action
from caseloop.customers.services import CustomerDetails
from tests.factories import UserFactory, register_case

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

# --- Pure: index and query terms --------------------------------------------------------------


def test_index_terms_hold_jieba_words_and_the_bigrams_of_each_cjk_run() -> None:
    terms = search.index_terms("空调外机噪音", "型号 KFR-35GW")

    # 外机 is no dictionary word: the words keep its characters, the bigrams keep 外机 itself.
    assert terms == IndexTerms(words="空调 外 机 噪音 型号 kfr 35gw", grams="空调 调外 外机 机噪 噪音 型号")


def test_index_terms_fold_traditional_full_width_and_case() -> None:
    terms = search.index_terms("滾筒洗衣機 ＸＱＧ８０")

    assert "洗衣机" in terms.words.split()
    assert "xqg80" in terms.words.split()
    assert terms.grams.split() == ["滚筒", "筒洗", "洗衣", "衣机"]


def test_a_single_cjk_character_is_indexed_as_its_own_gram() -> None:
    assert search.index_terms("门 坏了").grams.split() == ["门", "坏了"]


def test_query_terms_split_on_spaces_and_fold_like_the_index() -> None:
    assert search.query_terms("洗衣機  漏水 XQB80-A12") == [
        QueryTerm(word="洗衣机", grams=("洗衣", "衣机")),
        QueryTerm(word="漏水", grams=("漏水",)),
        QueryTerm(word="xqb80", grams=()),
        QueryTerm(word="a12", grams=()),
    ]


def test_query_terms_of_punctuation_only_are_empty() -> None:
    assert search.query_terms("！？ ... ，") == []


def test_query_terms_are_capped_at_twelve() -> None:
    assert len(search.query_terms(" ".join(f"w{i}" for i in range(20)))) == 12


def test_fts5_match_ands_terms_each_as_a_word_or_a_bigram_phrase_and_latin_as_prefix() -> None:
    terms = search.query_terms("洗衣机 漏水 xqb")

    assert search.fts5_match(terms) == (
        '(words : "洗衣机" OR grams : "洗衣 衣机") AND (words : "漏水" OR grams : "漏水") AND (words : "xqb"*)'
    )


def test_fts5_match_of_a_single_cjk_character_is_a_word_only() -> None:
    assert search.fts5_match(search.query_terms("门")) == '(words : "门")'


def test_tsquery_ands_terms_each_as_a_word_or_a_weighted_bigram_phrase() -> None:
    terms = search.query_terms("洗衣机 漏水 xqb")

    assert search.tsquery(terms) == ("('洗衣机':A | ('洗衣':B <-> '衣机':B)) & ('漏水':A | ('漏水':B)) & ('xqb':A*)")


# --- Full text through the list selector ------------------------------------------------------


@pytest.fixture
def cases(db: None) -> dict[str, Case]:
    def case(subject: str, content: str, **kw: object) -> Case:
        return register_case(subject=subject, content=content, **kw)

    return {
        "washer_leak": case("洗衣机漏水", "排水管接口处一直漏水，地板都湿了。"),
        "washer_noise": case("洗衣机噪音大", "脱水时噪音很大。", product_description="海川 XQB80-A12"),
        "fridge": case("冰箱冷藏室结冰严重", "冷藏室后壁结冰，食物冻坏。"),
        "traditional": case("滾筒乾衣機不加熱", "乾衣機運轉但是不會加熱。"),
        "service": case(
            "客服态度很差", "电话里被挂断两次。", customer=CustomerDetails(name="周敏", phone="+86 139 1234 5678")
        ),
        "refund": case("退款迟迟未到账", "申请退款十天了。", order_number="202611230098765"),
    }


def _found(user: User, text: str) -> set[str]:
    return set(case_list(user=user, filters=CaseFilters(text=text)).values_list("subject", flat=True))


def _subjects(cases: dict[str, Case], *keys: str) -> set[str]:
    return {cases[key].subject for key in keys}


@pytest.mark.django_db
def test_a_two_character_chinese_word_is_found(supervisor: User, cases: dict[str, Case]) -> None:
    assert _found(supervisor, "噪音") == _subjects(cases, "washer_noise")


@pytest.mark.django_db
def test_a_substring_that_is_not_a_jieba_word_is_found_through_bigrams(
    supervisor: User, cases: dict[str, Case]
) -> None:
    # Given jieba segments 冷藏室结冰 as 冷藏室 / 结冰, so 藏室结 is no word of the index
    assert "藏室结" not in search.index_terms(cases["fridge"].subject).words.split()

    # Then the phrase of its bigrams still finds it
    assert _found(supervisor, "藏室结") == _subjects(cases, "fridge")


@pytest.mark.django_db
def test_bigrams_must_appear_in_order(supervisor: User, cases: dict[str, Case]) -> None:
    # 水漏 reverses the two characters of 漏水
    assert _found(supervisor, "水漏") == set()


@pytest.mark.django_db
def test_a_traditional_query_finds_simplified_text(supervisor: User, cases: dict[str, Case]) -> None:
    assert _found(supervisor, "洗衣機 漏水") == _subjects(cases, "washer_leak")


@pytest.mark.django_db
def test_a_simplified_query_finds_traditional_text(supervisor: User, cases: dict[str, Case]) -> None:
    assert _found(supervisor, "干衣机") == _subjects(cases, "traditional")


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["XQB80-A12", "xqb80", "XQB8"])
def test_a_latin_model_number_is_found_in_any_case_and_by_prefix(
    supervisor: User, cases: dict[str, Case], query: str
) -> None:
    assert _found(supervisor, query) == _subjects(cases, "washer_noise")


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["13912345678", "139-1234-5678", "+86 139 1234 5678"])
def test_a_phone_number_finds_the_customers_cases(supervisor: User, cases: dict[str, Case], query: str) -> None:
    assert _found(supervisor, query) == _subjects(cases, "service")


@pytest.mark.django_db
def test_an_all_digit_order_number_finds_its_case(supervisor: User, cases: dict[str, Case]) -> None:
    # Seven or more digits look like a phone number; the order number is matched as well.
    assert _found(supervisor, "202611230098765") == _subjects(cases, "refund")


@pytest.mark.django_db
def test_a_case_number_finds_exactly_that_case(supervisor: User, cases: dict[str, Case]) -> None:
    number = cases["fridge"].number

    assert _found(supervisor, number) == _subjects(cases, "fridge")
    assert _found(supervisor, f" {number.lower()} ") == _subjects(cases, "fridge")


@pytest.mark.django_db
def test_two_terms_must_both_match(supervisor: User, cases: dict[str, Case]) -> None:
    assert _found(supervisor, "洗衣机") == _subjects(cases, "washer_leak", "washer_noise")
    assert _found(supervisor, "洗衣机 噪音") == _subjects(cases, "washer_noise")
    assert _found(supervisor, "洗衣机 结冰") == set()


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["电视机", "OR", "not near", "！！", "\"'*"])
def test_a_query_without_matches_or_with_operator_words_finds_nothing(
    supervisor: User, cases: dict[str, Case], query: str
) -> None:
    assert _found(supervisor, query) == set()


@pytest.mark.django_db
def test_a_corrected_subject_is_searchable_and_the_old_one_is_not(supervisor: User, cases: dict[str, Case]) -> None:
    # Given 严重 appears only in the fridge case's subject
    assert _found(supervisor, "严重") == _subjects(cases, "fridge")

    # When the subject is corrected
    case_update_fields(case=cases["fridge"], actor=supervisor, changes={"subject": "冰柜压缩机异响"})

    # Then the index follows it
    assert _found(supervisor, "压缩机") == {"冰柜压缩机异响"}
    assert _found(supervisor, "严重") == set()


@pytest.mark.django_db
def test_search_respects_visibility(agent: User, cases: dict[str, Case]) -> None:
    mine = register_case(registered_by=agent, subject="洗衣机门封圈破损", content="门封圈有裂口。")

    assert _found(agent, "洗衣机") == {mine.subject}


# --- The other filters ------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_and_priority_filters_narrow_the_list(supervisor: User) -> None:
    high = register_case(priority=Priority.HIGH)
    accepted = case_transition(case=register_case(priority=Priority.LOW), actor=supervisor, action=Action.ACCEPT)
    pending_low = register_case(priority=Priority.LOW)

    def numbers(**filters: object) -> set[str]:
        return set(case_list(user=supervisor, filters=CaseFilters(**filters)).values_list("number", flat=True))

    assert numbers(statuses=(S.PENDING,)) == {high.number, pending_low.number}
    assert numbers(statuses=(S.ACCEPTED,)) == {accepted.number}
    assert numbers(priorities=(Priority.LOW,)) == {accepted.number, pending_low.number}
    assert numbers(statuses=(S.PENDING,), priorities=(Priority.LOW,)) == {pending_low.number}


@pytest.mark.django_db
def test_overdue_means_open_and_past_the_resolution_deadline(supervisor: User) -> None:
    # Given on Monday 23 November: a medium case (due 4 December), a high one (due 30 November)
    # and a high one that gets resolved
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        medium = register_case(priority=Priority.MEDIUM)
        high = register_case(priority=Priority.HIGH)
        resolved = register_case(priority=Priority.HIGH)
        for action in (Action.ACCEPT, Action.START):
            resolved = case_transition(case=resolved, actor=supervisor, action=action)
        case_transition(case=resolved, actor=supervisor, action=Action.RESOLVE, reason="已解决")
        overdue_now = _overdue(supervisor)

    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        overdue_on_1_december = _overdue(supervisor)
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI), tick=False):
        overdue_on_5_december = _overdue(supervisor)

    assert overdue_now == set()
    assert overdue_on_1_december == {high.number}
    assert overdue_on_5_december == {high.number, medium.number}


def _overdue(user: User) -> set[str]:
    return set(case_list(user=user, filters=CaseFilters(is_overdue=True)).values_list("number", flat=True))


@pytest.mark.django_db
def test_the_date_range_is_read_in_the_organisations_time_zone(supervisor: User) -> None:
    # Given two contacts on the same UTC day but on either side of midnight in Shanghai
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI), tick=False):
        late_evening = register_case(received_at=dt.datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI))
        after_midnight = register_case(received_at=dt.datetime(2026, 11, 24, 0, 30, tzinfo=SHANGHAI))

    def received_on(day: dt.date) -> set[str]:
        filters = CaseFilters(received_from=day, received_to=day)
        return set(case_list(user=supervisor, filters=filters).values_list("number", flat=True))

    assert received_on(dt.date(2026, 11, 23)) == {late_evening.number}
    assert received_on(dt.date(2026, 11, 24)) == {after_midnight.number}
    assert received_on(dt.date(2026, 11, 22)) == set()


@pytest.mark.django_db
def test_the_list_is_newest_first_by_default(supervisor: User) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 24, 12, 0, tzinfo=SHANGHAI), tick=False):
        older = register_case(received_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))
        newer = register_case(received_at=dt.datetime(2026, 11, 24, 11, 0, tzinfo=SHANGHAI))

    assert list(case_list(user=supervisor, filters=CaseFilters())) == [newer, older]


# --- Query count ------------------------------------------------------------------------------


def _fill(count: int, department: Department, owner: User, registrar: User) -> None:
    for index in range(count):
        case = register_case(
            registered_by=registrar, customer=CustomerDetails(name=f"客户{index}", phone=f"1380000{index:04d}")
        )
        case_assign(case=case, actor=registrar, department=department, owner=owner)


def _render_rows(user: User, text: str = "") -> list[tuple[str, ...]]:
    """What the list page shows per row, including the customer, department and owner."""
    return [
        (
            case.number,
            case.subject,
            str(case.customer),
            case.customer.name,
            case.department.name,
            str(case.department),
            case.owner.username,
            str(case.owner),
            case.get_status_display(),
        )
        for case in case_list(user=user, filters=CaseFilters(text=text))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("viewer_role", [Role.SUPERVISOR, Role.SPECIALIST])
@pytest.mark.parametrize("text", ["", "洗衣机"])
def test_the_list_takes_one_query_however_many_rows(
    department: Department, supervisor: User, django_assert_max_num_queries: object, viewer_role: str, text: str
) -> None:
    # Given an owner without a display name (so the list falls back to the user name)
    owner = UserFactory(role=Role.SPECIALIST, departments=[department], display_name="")
    viewer = UserFactory(role=viewer_role, departments=[department])
    _fill(2, department, owner, supervisor)
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        few = _render_rows(viewer, text)

    # When there are six times as many rows
    _fill(10, department, owner, supervisor)
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        many = _render_rows(viewer, text)

    # Then it is still one query
    assert (len(few), len(many)) == (2, 12)


@pytest.mark.django_db
def test_late_entry_filter_lists_the_cases_recorded_after_their_channels_limit(supervisor: User) -> None:
    from caseloop.cases.choices import Channel
    from caseloop.core import clock

    late = register_case(channel=Channel.PHONE, received_at=clock.now() - dt.timedelta(minutes=45))
    register_case(channel=Channel.PHONE, received_at=clock.now() - dt.timedelta(minutes=10))
    register_case(channel=Channel.WEB, received_at=clock.now() - dt.timedelta(minutes=3))

    found = case_list(user=supervisor, filters=CaseFilters(is_entry_late=True))

    assert [case.pk for case in found] == [late.pk]

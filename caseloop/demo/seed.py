"""Load the demo organisation and a few hundred cases, all through the real services so that
numbers, search documents and timelines are exactly what production would have written."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from caseloop.accounts.models import Department, User
from caseloop.cases import workflow
from caseloop.cases.choices import MANUAL_CHANNELS, CaseStatus, Channel, MessageDirection, RejectionReason
from caseloop.cases.models import Case
from caseloop.cases.services import (
    CaseRegistration,
    case_add_message,
    case_add_note,
    case_assign,
    case_register,
    case_set_escalated,
    case_transition,
)
from caseloop.core import clock
from caseloop.customers.services import CustomerDetails
from caseloop.demo import data
from caseloop.products.models import Product

A = workflow.Action
PATHS: dict[str, list[str]] = {
    CaseStatus.PENDING: [],
    CaseStatus.ACCEPTED: [A.ACCEPT],
    CaseStatus.IN_PROGRESS: [A.ACCEPT, A.START],
    CaseStatus.AWAITING_APPROVAL: [A.ACCEPT, A.START, A.SUBMIT_FOR_APPROVAL],
    CaseStatus.RESOLVED: [A.ACCEPT, A.START, A.RESOLVE],
    CaseStatus.CLOSED_PENDING_FOLLOW_UP: [A.ACCEPT, A.START, A.RESOLVE, A.CLOSE_PENDING_FOLLOW_UP],
    CaseStatus.CLOSED: [A.ACCEPT, A.START, A.RESOLVE, A.CLOSE],
    CaseStatus.NEEDS_INFORMATION: [A.REQUEST_INFORMATION],
    CaseStatus.ON_HOLD: [A.ACCEPT, A.START, A.HOLD],
    CaseStatus.REJECTED: [A.REJECT],
    CaseStatus.DUPLICATE: [A.MARK_DUPLICATE],
    CaseStatus.REOPENED: [A.ACCEPT, A.START, A.RESOLVE, A.CLOSE, A.REOPEN],
}
STATUS_WEIGHTS = {
    CaseStatus.PENDING: 12, CaseStatus.ACCEPTED: 8, CaseStatus.IN_PROGRESS: 16, CaseStatus.AWAITING_APPROVAL: 5,
    CaseStatus.RESOLVED: 8, CaseStatus.CLOSED_PENDING_FOLLOW_UP: 6, CaseStatus.CLOSED: 25,
    CaseStatus.NEEDS_INFORMATION: 5, CaseStatus.ON_HOLD: 4, CaseStatus.REJECTED: 4, CaseStatus.DUPLICATE: 3,
    CaseStatus.REOPENED: 4,
}
CHANNEL_WEIGHTS = {
    Channel.PHONE: 25, Channel.WEB: 15, Channel.API: 15, Channel.EMAIL: 10, Channel.WECHAT: 12, Channel.SMS: 4,
    Channel.SOCIAL: 5, Channel.SERVICE_CENTER: 5, Channel.STORE: 5, Channel.PAPER: 2, Channel.IMPORT: 2,
}
REASONS: dict[str, str] = {
    A.REQUEST_INFORMATION: "请客户补充购买凭证和故障照片",
    A.HOLD: "等待厂家寄送配件，预计5个工作日到货",
    A.RESOLVE: "已上门更换故障部件并测试正常，客户确认可以使用",
    A.REOPEN: "客户回访表示问题再次出现，不满意处理结果",
}
DEMO_MARKER_USERNAME = "supervisor"


@dataclass(frozen=True)
class SeedSummary:
    created: bool
    cases: int


def demo_is_loaded() -> bool:
    return User.objects.filter(username=DEMO_MARKER_USERNAME).exists()


def seed_demo(*, cases: int = 300, seed: int = 20261123) -> SeedSummary:
    """Load the demo data once; a second call changes nothing."""
    if demo_is_loaded():
        return SeedSummary(created=False, cases=Case.objects.count())
    rng = random.Random(seed)
    with transaction.atomic():
        departments = _departments()
        users = _users(departments)
        products = _products()
    supervisor = users["supervisor"]
    specialists = {code: [u for u in users.values() if u.role == "specialist" and
                          u.departments.filter(code=code).exists()] for code in departments}
    start = clock.now() - dt.timedelta(days=45)
    moments = sorted(start + dt.timedelta(seconds=rng.randrange(0, 45 * 86400 - 3600)) for _ in range(cases))
    registered: list[Case] = []
    for received_at in moments:
        registered.append(_one_case(rng, received_at, users, departments, specialists, products, supervisor, registered))
    return SeedSummary(created=True, cases=len(registered))


def _departments() -> dict[str, Department]:
    return {code: Department.objects.get_or_create(code=code, defaults={"name": name, "description": scope})[0]
            for code, name, scope in data.DEPARTMENTS}


def _users(departments: dict[str, Department]) -> dict[str, User]:
    users: dict[str, User] = {}
    for username, display_name, role, codes in data.USERS:
        user = User(username=username, display_name=display_name, role=role, is_staff=role == "admin",
                    is_superuser=role == "admin", employee_code=f"E{1000 + len(users)}")
        user.set_password(data.DEMO_PASSWORD)
        user.save()
        user.departments.set([departments[c] for c in codes])
        users[username] = user
    return users


def _products() -> dict[str, Product]:
    return {model: Product.objects.get_or_create(brand=brand, model=model,
                                                 defaults={"name": name, "product_line": line})[0]
            for brand, name, model, line in data.PRODUCTS}


def _customer(rng: random.Random) -> CustomerDetails:
    if rng.random() < 0.05:
        return CustomerDetails(is_anonymous=True)
    name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
    region = rng.choice(data.REGIONS)
    # A small pool of phone numbers so that some customers come back with a second case.
    phone = f"1{rng.choice('3578')}{rng.randrange(0, 10)}{rng.randrange(0, 400):04d}{rng.randrange(1000, 1100):04d}"
    return CustomerDetails(
        name=name, phone=phone, region=region,
        email=f"user{rng.randrange(1000, 9999)}@example.cn" if rng.random() < 0.4 else "",
        address=region + rng.choice(data.STREETS) if rng.random() < 0.6 else "",
        member_id=f"M{rng.randrange(10**7, 10**8)}" if rng.random() < 0.3 else "",
    )


def _one_case(rng: random.Random, received_at: dt.datetime, users: dict[str, User],
              departments: dict[str, Department], specialists: dict[str, list[User]],
              products: dict[str, Product], supervisor: User, earlier: list[Case]) -> Case:
    feedback_type, priority, dept_code, lines, subject, content = rng.choice(data.CASE_TEMPLATES)
    product = rng.choice([p for p in products.values() if not lines or p.product_line in lines])
    order = f"DD{received_at:%Y%m%d}{rng.randrange(10**5, 10**6)}"
    fill = {"product": product.name, "days": rng.choice([2, 3, 5, 7, 10, 15, 30]), "order": order}
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    delay_minutes = rng.choice([2, 5, 8, 12, 20, 25, 45]) if channel in MANUAL_CHANNELS else rng.choice([0, 0, 1, 2, 7])
    agent = rng.choice([users["agent"], users["agent2"]])
    registrar = agent if channel in MANUAL_CHANNELS else None
    with clock.recorded_as_of(received_at + dt.timedelta(minutes=delay_minutes)):
        case = case_register(registered_by=registrar, registration=CaseRegistration(
            channel=channel, subject=subject.format(**fill), content=content.format(**fill) + rng.choice(data.TAILS),
            received_at=received_at, customer=_customer(rng), feedback_type=feedback_type, priority=priority,
            product_id=product.pk, order_number=order if "{order}" in content else "",
            expectation=rng.choice(["", "尽快维修", "退货退款", "换新机", "赔偿损失", "给个说法"]),
            special_group=rng.choice(["", "", "", "", "", "", "elderly", "disabled"]),
            needs_cross_department=rng.random() < 0.1,
        )).case
    target = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    moment = case.recorded_at
    owner = rng.choice(specialists.get(dept_code) or [agent])
    for action in PATHS[target]:
        moment += dt.timedelta(minutes=rng.randrange(5, 60 * 30))
        with clock.recorded_as_of(min(moment, clock.now())):
            if action == A.ACCEPT and case.department_id is None:
                case = case_assign(case=case, actor=supervisor, department=departments[dept_code],
                                   owner=owner if owner.departments.filter(code=dept_code).exists() else None,
                                   reason="按问题类型分派")
            if action == A.START and rng.random() < 0.5:
                case_add_message(case=case, direction=MessageDirection.OUTBOUND, channel=case.channel, author=owner,
                                 body=f"您好，您的反馈（{case.number}）已受理，我们会在承诺时限内处理并及时告知进展。")
            original = rng.choice(earlier) if action == A.MARK_DUPLICATE and earlier else None
            if action == A.MARK_DUPLICATE and (original is None or original.status == CaseStatus.DUPLICATE):
                break
            case = case_transition(
                case=case, actor=supervisor, action=action, reason=REASONS.get(action, ""),
                reason_code=rng.choice(RejectionReason.values) if action == A.REJECT else "",
                duplicate_of=original,
            )
    if rng.random() < 0.3:
        with clock.recorded_as_of(min(moment + dt.timedelta(minutes=30), clock.now())):
            case_add_note(case=case, actor=supervisor, text=rng.choice(
                ["客户情绪激动，回访时注意沟通方式", "已与物流部确认，需跨部门协同", "老年客户，建议电话沟通", "VIP客户，优先处理"]))
    if priority == "high" and rng.random() < 0.3 and not case.is_finished:
        with clock.recorded_as_of(min(moment + dt.timedelta(hours=2), clock.now())):
            case = case_set_escalated(case=case, actor=supervisor, escalated=True, reason="高优先级且客户威胁媒体曝光")
    return case

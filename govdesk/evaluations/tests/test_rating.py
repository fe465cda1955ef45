"""Rating a finished case: every channel, who may rate, the one-per-channel rule, unfinished cases, the signed link."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.core import signing

from govdesk.cases.models import CaseEvent
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification, Verification
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .helpers import at, citizen_order, closed_order, pad_rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(district: SimpleNamespace) -> Any:
    from govdesk.org.models import Role
    from govdesk.org.tests.factories import UserFactory

    return UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=district.centre)


def test_web_rating_by_the_citizen_whose_case_it_is(people, district, categories) -> None:
    order = citizen_order(people, district, categories)
    evaluation = services.evaluation_create(
        case=order.number, level=5, comment="  很及时  ", channel="web", actor=people.citizen
    )
    assert (evaluation.level, evaluation.channel, evaluation.comment) == (5, "web", "很及时")
    assert evaluation.rated_by == people.citizen
    assert evaluation.unit == district.dept_a
    assert evaluation.verification == Verification.NONE
    assert not Rectification.objects.exists()
    event = CaseEvent.objects.filter(case=order, action="evaluate").get()
    assert event.is_public and event.data["level"] == 5 and event.data["channel"] == "web"
    assert "很及时" not in event.note  # the comment is not published with the public event


def test_api_channel_by_the_citizen(people, district, categories) -> None:
    order = citizen_order(people, district, categories)
    evaluation = services.evaluation_create(case=order, level=4, channel="api", actor=people.citizen)
    assert evaluation.channel == "api"


def test_pad_channel_recorded_by_a_window_clerk_or_operator(people, district, categories, clerk) -> None:
    first = closed_order(people, district, categories)
    second = closed_order(people, district, categories)
    assert pad_rate(first, 3, clerk).rated_by == clerk
    assert pad_rate(second, 4, people.operator).channel == "pad"


def test_link_channel_without_an_account(people, district, categories) -> None:
    order = closed_order(people, district, categories)
    path = services.evaluation_link_make(order)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert path == f"/rate/{token}/"
    evaluation = services.evaluation_create(case=order, level=2, channel="link", actor=None, link_token=token)
    assert evaluation.rated_by is None and evaluation.channel == "link"
    # A bad rating through the link opens the rectification like any other.
    assert Rectification.objects.filter(evaluation=evaluation).exists()


def test_sms_channel_is_reserved(people, district, categories) -> None:
    order = citizen_order(people, district, categories)
    with pytest.raises(ValidationFailed) as exc:
        services.evaluation_create(case=order, level=5, channel="sms", actor=people.citizen)
    assert "channel" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.evaluation_create(case=order, level=5, channel="fax", actor=people.citizen)


def test_one_rating_per_case_per_channel(people, district, categories, clerk) -> None:
    order = citizen_order(people, district, categories)
    services.evaluation_create(case=order, level=5, channel="web", actor=people.citizen)
    with pytest.raises(InvalidTransition) as exc:
        services.evaluation_create(case=order, level=1, channel="web", actor=people.citizen)
    assert exc.value.status_code == 409 and exc.value.message
    # Another channel is another rating.
    pad_rate(order, 4, clerk)
    assert Evaluation.objects.filter(case=order).count() == 2
    assert not Rectification.objects.exists()  # the refused 差评 wrote nothing


def test_the_unique_constraint_holds_in_the_database(people, district, categories) -> None:
    from django.db import IntegrityError, transaction

    order = citizen_order(people, district, categories)
    services.evaluation_create(case=order, level=5, channel="web", actor=people.citizen)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluation.objects.create(case=order, level=4, channel="web", created_at=clock.now())


@pytest.mark.parametrize("status", [Status.HANDLING, Status.REPLIED, Status.CANCELLED, Status.NEW])
def test_an_unfinished_or_cancelled_case_is_refused(people, district, categories, clerk, status) -> None:
    order = make_order(people, district, categories.facilities, status)
    with pytest.raises(InvalidTransition) as exc:
        pad_rate(order, 5, clerk)
    assert exc.value.status_code == 409
    assert not Evaluation.objects.exists()


def test_a_duplicate_closed_with_its_master_is_refused(people, district, categories, clerk) -> None:
    from govdesk.workorders import services as wo
    from govdesk.workorders.models import WorkOrder

    child = make_order(people, district, categories.facilities, Status.MERGED)
    master = child.master
    assert master is not None
    wo.workorder_dispatch(order=master, actor=people.dispatcher, unit=district.dept_a)
    wo.workorder_sign(order=master, actor=people.handler_a)
    wo.workorder_reply(order=master, actor=people.handler_a, reply="已处理。")
    wo.workorder_visit(order=master, actor=people.operator, resolved=True, satisfaction="satisfied")
    child = WorkOrder.objects.get(pk=child.pk)
    assert child.status == Status.CLOSED and not child.is_open and child.closed_at is not None
    with pytest.raises(InvalidTransition):
        pad_rate(child, 5, clerk)
    assert pad_rate(master, 5, clerk).case_id == master.pk


def test_a_reopened_case_cannot_be_rated_until_closed_again(people, district, categories, clerk) -> None:
    from govdesk.workorders import services as wo

    order = closed_order(people, district, categories)
    wo.workorder_reopen(order=order, actor=people.dispatcher, reason="市民反映仍未修复")
    with pytest.raises(InvalidTransition):
        pad_rate(order, 5, clerk)


def test_who_may_rate_through_which_channel(people, district, categories, clerk) -> None:
    mine = citizen_order(people, district, categories)
    operators = closed_order(people, district, categories)
    # Another citizen, or the citizen on an order the operator registered: "no such case" (numbers are sequential).
    with pytest.raises(NotFound):
        services.evaluation_create(case=mine, level=5, channel="web", actor=people.other_citizen)
    with pytest.raises(NotFound):
        services.evaluation_create(case=operators, level=5, channel="web", actor=people.citizen)
    # Staff do not rate as citizens; citizens and handlers do not use the counter pad.
    for user in (people.operator, people.handler_a, people.supervisor):
        with pytest.raises(PermissionDenied):
            services.evaluation_create(case=mine, level=5, channel="web", actor=user)
    for user in (people.citizen, people.handler_a, people.supervisor, people.dispatcher):
        with pytest.raises(PermissionDenied):
            pad_rate(mine, 5, user)
    with pytest.raises(PermissionDenied):
        services.evaluation_create(case=mine, level=5, channel="api", actor=None)
    assert not Evaluation.objects.exists()


def test_unknown_case_and_bad_input(people, district, categories, clerk) -> None:
    order = closed_order(people, district, categories)
    with pytest.raises(NotFound):
        pad_rate("20990101000001", 5, clerk)
    for level in (0, 6, "x", True, None, 2.5):
        with pytest.raises(ValidationFailed) as exc:
            pad_rate(order, level, clerk)
        assert "level" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        pad_rate(order, 5, clerk, comment="长" * 501)
    assert "comment" in exc.value.fields
    with pytest.raises(ValidationFailed):
        pad_rate(order, 5, clerk, comment="bad\x00text")
    assert pad_rate(order, "4", clerk, comment="长" * 500).level == 4


def test_link_tampered_expired_or_for_another_case(people, district, categories) -> None:
    first = closed_order(people, district, categories)
    second = closed_order(people, district, categories)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        token = services.evaluation_link_token(first)
    # Signed with the salt: the same payload signed without it (or altered) is refused.
    forged = signing.dumps({"case": second.number})
    for bad in (forged, token[:-2] + "xx", "", "not-a-token"):
        with pytest.raises(ValidationFailed) as exc:
            services.evaluation_create(case=second, level=5, channel="link", link_token=bad)
        assert exc.value.code == "link_invalid"
    with pytest.raises(PermissionDenied):
        services.evaluation_create(case=second, level=5, channel="link", link_token=token)
    with time_machine.travel(at(2026, 12, 1, 10) + timedelta(days=30, minutes=1), tick=False):
        with pytest.raises(ValidationFailed) as exc:
            services.evaluation_create(case=first, level=5, channel="link", link_token=token)
        assert exc.value.code == "link_expired"
    with time_machine.travel(at(2026, 12, 1, 10) + timedelta(days=29, hours=23), tick=False):
        assert services.evaluation_create(case=first, level=5, channel="link", link_token=token).channel == "link"
    assert Evaluation.objects.count() == 1


def test_a_bad_rating_from_a_case_without_a_unit_goes_to_the_hotline_centre(people, district, categories) -> None:
    from govdesk.workorders import services as wo

    order = wo.workorder_register(
        actor=people.citizen,
        data={**_consultation(categories)},
        citizen_user=people.citizen,
    )
    wo.workorder_answer(order=order, actor=people.operator, answer="已电话答复政策。")
    evaluation = services.evaluation_create(case=order.number, level=1, channel="web", actor=people.citizen)
    assert evaluation.unit is None
    assert Rectification.objects.get(evaluation=evaluation).primary_unit == district.centre


def _consultation(categories: SimpleNamespace) -> dict[str, Any]:
    from govdesk.workorders.tests.factories import intake

    return intake(categories.facilities, channel="web", request_type="consultation")


def test_a_units_report_to_the_office_is_not_rated(people, district, clerk) -> None:
    """A report (填报) is internal work: even accepted (closed), no channel rates it, so it never counts as service."""
    from govdesk.reporting.models import Report
    from govdesk.reporting.services import report_accept, report_submit, reporting_task_issue

    task = reporting_task_issue(
        actor=people.supervisor,
        data={"kind": "parks", "year": 2026, "units": [district.street.code], "deadline_days": 5},
    )
    report = Report.objects.get(task=task)
    report_submit(
        report=report.number,
        actor=people.street_handler,
        rows=[{"name": "滨河游园", "kind": "street_park", "area_m2": "1200", "investment": "35"}],
    )
    report_accept(report=report.number, actor=people.supervisor)
    with pytest.raises(NotFound):
        services.evaluation_create(case=report.number, level=1, channel="pad", actor=clerk)
    assert not Evaluation.objects.filter(case_id=report.pk).exists()

"""好差评 on applications (办件), the second case type: rated through the same code, with no import of the type."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import make_application
from govdesk.common.errors import InvalidTransition, NotFound
from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification

from .helpers import pad_rate

pytestmark = pytest.mark.django_db


def test_a_delivered_application_is_rated_at_the_counter_and_a_bad_rating_opens_a_rectification(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace, fake_pdf: Any
) -> None:
    application = make_application(hall, people, Status.CLOSED)
    evaluation = pad_rate(application.number, 1, hall.clerk, comment="跑了三趟")
    assert evaluation.case_id == application.pk and evaluation.unit == district.dept_a
    rect = Rectification.objects.get(evaluation=evaluation)
    assert rect.primary_unit == district.dept_a
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已优化材料清单，一次办结。")
    assert Rectification.objects.get(pk=rect.pk).status == "answered"


def test_an_application_still_being_handled_is_refused(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any
) -> None:
    application = make_application(hall, people, Status.HANDLING)
    with pytest.raises(InvalidTransition):
        pad_rate(application.number, 5, hall.clerk)
    assert not Evaluation.objects.exists()


def test_a_refusal_is_a_finished_service_and_may_be_rated(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any
) -> None:
    application = make_application(hall, people, Status.REFUSED)
    assert pad_rate(application.number, 3, hall.clerk).level == 3


def test_the_applicant_of_a_window_application_rates_it_and_owns_its_rectification(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any
) -> None:
    # Registered at the window: the clerk created it, the citizen's account is its applicant (claimed online).
    application = make_application(hall, people, Status.CLOSED)
    assert application.created_by_id == hall.clerk.pk
    Application.objects.filter(pk=application.pk).update(applicant=people.citizen)
    with pytest.raises(NotFound):
        services.evaluation_create(case=application.number, level=1, channel="web", actor=people.other_citizen)
    evaluation = services.evaluation_create(case=application.number, level=1, channel="web", actor=people.citizen)
    rect = Rectification.objects.get(evaluation=evaluation)
    assert rect.created_by_id == people.citizen.pk
    # The clerk who registered it is no citizen of it.
    assert Evaluation.objects.filter(case=application, rated_by=people.citizen).count() == 1

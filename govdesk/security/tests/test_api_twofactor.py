"""Two-factor login through the API: `otp` on POST /api/v1/auth/token/ (contract: 401 `otp_required`)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.org.tests.factories import TEST_PASSWORD
from govdesk.security.models import ApiToken

from .helpers import code_for, enrol

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def obtain(username: str, client: APIClient | None = None, **extra: Any) -> Any:
    payload = {"username": username, "password": TEST_PASSWORD, **extra}
    return (client or APIClient()).post(TOKEN_URL, payload, format="json")


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_an_administrator_without_otp_gets_401_otp_required(people: SimpleNamespace, role: str) -> None:
    enrol(getattr(people, role))
    response = obtain(role)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    assert not ApiToken.objects.exists()


def test_with_the_right_code_the_administrator_gets_a_token(people: SimpleNamespace) -> None:
    device = enrol(people.auditor)
    response = obtain("auditor", otp=code_for(device))
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=people.auditor).count() == 1
    assert AuditEvent.objects.filter(action="twofactor.verify", actor=people.auditor, success=True).exists()
    # The same code cannot be used twice (replay).
    assert obtain("auditor", otp=code_for(device)).json()["code"] == "otp_invalid"


def test_an_enrolled_business_account_needs_otp_too(people: SimpleNamespace) -> None:
    device = enrol(people.operator)
    assert obtain("operator").json()["code"] == "otp_required"
    assert obtain("operator", otp=code_for(device)).status_code == 200


def test_an_account_without_second_factor_ignores_otp(people: SimpleNamespace) -> None:
    assert obtain("operator").status_code == 200
    assert obtain("operator", otp="").status_code == 200


def test_a_required_role_without_a_device_is_told_to_enrol_in_the_browser(people: SimpleNamespace) -> None:
    response = obtain("sysadmin", otp="123456")
    assert response.status_code == 401
    assert response.json()["code"] == "otp_enrolment_required"
    assert not ApiToken.objects.exists()


def test_the_roles_setting_decides_who_must_have_a_second_factor(people: SimpleNamespace, settings: Any) -> None:
    assert obtain("operator").status_code == 200
    settings.GOVDESK = {**settings.GOVDESK, "TWO_FACTOR_ROLES": ["operator"]}
    assert obtain("operator").json()["code"] == "otp_enrolment_required"
    # The three administrators stay required even when the setting leaves them out.
    assert obtain("secadmin").json()["code"] == "otp_enrolment_required"


def test_a_wrong_code_is_401_and_counts_as_a_failed_login(people: SimpleNamespace) -> None:
    device = enrol(people.sysadmin)
    client = APIClient()
    start = clock.now()
    statuses = []
    with time_machine.travel(start, tick=False) as traveller:
        for _i in range(5):
            traveller.shift(timedelta(minutes=2))  # past django-otp's own growing delay after a wrong code
            statuses.append(obtain("sysadmin", client, otp="000000" if code_for(device) != "000000" else "111111"))
        assert [r.status_code for r in statuses[:4]] == [401] * 4
        assert {r.json()["code"] for r in statuses[:4]} == {"otp_invalid"}
        assert statuses[4].status_code == 429  # five wrong codes lock like five wrong passwords
        traveller.shift(timedelta(minutes=2))
        locked = obtain("sysadmin", client, otp=code_for(device))
    assert locked.status_code == 429
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.filter(action="twofactor.verify", success=False).count() == 5


def test_a_recovery_code_works_once(people: SimpleNamespace) -> None:
    enrol(people.secadmin)
    static = StaticDevice.objects.create(user=people.secadmin, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")
    StaticToken.objects.create(device=static, token="efgh6789")
    assert obtain("secadmin", otp="ABCD-2345").status_code == 200
    assert StaticToken.objects.filter(device=static).count() == 1
    event = AuditEvent.objects.get(action="twofactor.recovery_code_used")
    assert event.note == "1 recovery codes left"
    with time_machine.travel(clock.now() + timedelta(minutes=1), tick=False):
        assert obtain("secadmin", otp="abcd2345").json()["code"] == "otp_invalid"

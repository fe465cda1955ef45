"""The applicant's phone, ID number and form answers are ciphertext in the database (read with raw SQL, as someone
with a copy of it would), plaintext through the model, and found again by their blind indexes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection

from govdesk.applications import services
from govdesk.applications.models import Application
from govdesk.applications.tests.factories import APPLICANT, submission
from govdesk.common import crypto
from govdesk.common.fields import blind_index_of

pytestmark = pytest.mark.django_db


def test_the_applicants_data_is_encrypted_at_rest(hall: SimpleNamespace, people: SimpleNamespace) -> None:
    application = services.application_submit(actor=hall.clerk, data=submission())
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn('applicant_phone')}, {qn('applicant_id_number')}, {qn('form')} "  # noqa: S608 (our names)
            f"FROM {qn(Application._meta.db_table)}"
        )
        phone, id_number, form = cursor.fetchone()
    for stored in (phone, id_number, form):
        assert crypto.is_encrypted(stored)
    assert APPLICANT["applicant_phone"] not in phone + id_number + form
    assert APPLICANT["applicant_id_number"] not in phone + id_number + form
    assert "滨河小区" not in form
    loaded = Application.objects.get(pk=application.pk)
    assert loaded.applicant_phone == APPLICANT["applicant_phone"]
    assert loaded.applicant_id_number == APPLICANT["applicant_id_number"]
    assert loaded.form["project_name"] == "滨河小区3号楼"
    index = blind_index_of(Application, "applicant_id_number_index", APPLICANT["applicant_id_number"])
    assert Application.objects.filter(applicant_id_number_index=index).get() == loaded
    index = blind_index_of(Application, "applicant_phone_index", "139 1234 5678")
    assert Application.objects.filter(applicant_phone_index=index).get() == loaded

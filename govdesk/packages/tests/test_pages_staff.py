"""Staff pages of package applications: who may open the list and a package (403/404), the clerk's decisions with
their errors on the page, the lead unit's urge, the parts against the promised total, masked personal data, and a
part's own page linking back to its package."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from govdesk.applications import services as application_services
from govdesk.cases.models import CaseEvent
from govdesk.packages import window_services
from govdesk.packages.models import PackageApplication, PackagePart

from .page_fixtures import PARENT, birth, logged_in, merged_answers

__all__ = ["birth"]
pytestmark = pytest.mark.django_db
CERTIFICATE = "141102-09-WJ-0007"
REGISTRATION = "141102-09-GA-0001"


def registered(birth: SimpleNamespace, *, decision: str = "correction", **answers: str) -> PackageApplication:
    """A package registered at the window through the counter's service (every required material ticked for
    "accept"; none for the others)."""
    form = {k[2:]: v for k, v in merged_answers(**answers).items() if k.startswith("f_")}
    form["promise"] = True
    data = {**PARENT, "package": birth.code, "form": form, "materials": []}
    if decision == "accept":
        data["materials"] = [m.code for m in birth.version.materials.all() if m.required]
    return window_services.package_register_at_window(actor=birth.clerk, data=data, scans={}, decision=decision)


def test_who_may_open_the_list_and_a_package(birth: SimpleNamespace, people: SimpleNamespace) -> None:
    package_application = registered(birth)
    detail = f"/packages/cases/{package_application.number}/"
    assert Client().get("/packages/cases/").status_code == 302
    assert logged_in(birth.parent).get("/packages/cases/").status_code == 403
    assert logged_in(birth.parent).get(detail).status_code == 403
    for user in (birth.clerk, people.supervisor, people.handler_a):
        listed = logged_in(user).get("/packages/cases/")
        assert listed.status_code == 200 and package_application.number in listed.content.decode(), user
        assert logged_in(user).get(detail).status_code == 200
    # dept_b has no part yet (nothing accepted) and is not the lead unit.
    assert package_application.number not in logged_in(people.handler_b).get("/packages/cases/").content.decode()
    assert logged_in(people.handler_b).get(detail).status_code == 403
    assert logged_in(birth.clerk).get("/packages/cases/YJS000/").status_code == 404
    # Only the hall's clerks decide; the supervisor reads.
    assert logged_in(people.supervisor).post(f"{detail}actions/accept/").status_code == 403
    assert logged_in(birth.clerk).post(f"{detail}actions/no-such/").status_code == 404


def test_the_detail_masks_the_applicant_and_lists_each_merged_material_once(
    birth: SimpleNamespace, people: SimpleNamespace
) -> None:
    # With the insurance asked for, every matter and so every merged material is needed (the checklist lists only
    # what the application's situation needs: test_situational_materials.py).
    package_application = registered(birth, f_want_insurance=True, f_payer_phone="13912345678")  # type: ignore[arg-type]
    html = logged_in(people.supervisor).get(f"/packages/cases/{package_application.number}/").content.decode()
    assert PARENT["applicant_phone"] not in html and PARENT["applicant_id_number"] not in html
    assert PARENT["applicant_phone"][:3] in html
    for material in birth.version.materials.all():
        assert html.count(f'id="material-{material.code}"') == 1
    # 居民户口簿 serves the registration and the insurance: named once, with both matters.
    assert "出生登记、城乡居民基本医疗保险参保登记" in html


def test_accepting_with_materials_missing_is_refused_on_the_page_and_changes_nothing(birth: SimpleNamespace) -> None:
    package_application = registered(birth)
    clerk = logged_in(birth.clerk)
    before = CaseEvent.objects.filter(case_id=package_application.pk).count()
    # Asked once already: supplying nothing is an error the page shows, with its status code.
    response = clerk.post(f"/packages/cases/{package_application.number}/actions/supplement/", {"materials": []})
    assert response.status_code == 400 and 'data-testid="error"' in response.content.decode()
    refused = clerk.post(f"/packages/cases/{package_application.number}/actions/refuse/", {"reason": ""})
    assert refused.status_code == 400
    assert CaseEvent.objects.filter(case_id=package_application.pk).count() == before
    package_application.refresh_from_db()
    assert package_application.status == "correction"


def test_the_lead_unit_urges_an_open_part_and_a_part_links_back(
    birth: SimpleNamespace, people: SimpleNamespace
) -> None:
    package_application = registered(birth, decision="accept")
    detail = f"/packages/cases/{package_application.number}/"
    lead = logged_in(people.handler_a)
    html = lead.get(detail).content.decode()
    assert f'data-testid="urge-{CERTIFICATE}"' in html
    assert f'data-testid="urge-{REGISTRATION}"' not in html  # waiting: it starts by itself
    assert lead.post(f"{detail}parts/{CERTIFICATE}/urge/", {"note": "请加快"}).status_code == 302
    part = PackagePart.objects.get(package_application=package_application, matter__code=CERTIFICATE)
    assert part.application is not None
    assert CaseEvent.objects.filter(case_id=part.application.pk, action="urge").count() == 1
    # A waiting part cannot be urged; another unit cannot urge at all.
    assert lead.post(f"{detail}parts/{REGISTRATION}/urge/").status_code == 409
    assert logged_in(people.handler_b).post(f"{detail}parts/{CERTIFICATE}/urge/").status_code == 403
    assert logged_in(people.supervisor).post(f"{detail}parts/{CERTIFICATE}/urge/").status_code == 403
    # The part's own application page names its package; approving it starts the registration.
    page = lead.get(f"/applications/{part.application.number}/").content.decode()
    assert detail in page
    application_services.application_approve(application=part.application.number, actor=people.handler_a)
    html = logged_in(people.handler_b).get(detail).content.decode()
    assert f'data-matter="{REGISTRATION}" data-status="handling"' in html
    # dept_b sees the summary of the package its part belongs to, not the applicant.
    assert PARENT["applicant_name"] not in html


def test_the_list_filters_by_status_package_and_late_parts(birth: SimpleNamespace, people: SimpleNamespace) -> None:
    waiting = registered(birth)
    accepted = registered(birth, decision="accept")
    clerk = logged_in(birth.clerk)
    by_status = clerk.get("/packages/cases/", {"status": "handling"}).content.decode()
    assert accepted.number in by_status and waiting.number not in by_status
    assert waiting.number not in clerk.get("/packages/cases/", {"package": "OTHER"}).content.decode()
    PackageApplication.objects.filter(pk=accepted.pk).update(due_at="2020-01-01T00:00:00Z")
    late = clerk.get("/packages/cases/", {"late": "1"}).content.decode()
    assert accepted.number in late and waiting.number not in late


def test_the_chart_sets_each_started_part_against_the_promised_total(
    birth: SimpleNamespace, people: SimpleNamespace
) -> None:
    package_application = registered(birth, decision="accept")
    detail = f"/packages/cases/{package_application.number}/"
    assert (
        'data-testid="parts-chart"'
        not in logged_in(people.supervisor).get(f"/packages/cases/{registered(birth).number}/").content.decode()
    )  # nothing started before acceptance
    html = logged_in(people.supervisor).get(detail).content.decode()
    assert 'data-testid="parts-chart"' in html
    assert html.count('data-late="0"') == 1 and 'data-late="1"' not in html  # the certificate only has started
    part = PackagePart.objects.get(package_application=package_application, matter__code=CERTIFICATE)
    assert part.application is not None
    type(part.application).objects.filter(pk=part.application.pk).update(due_at="2020-01-01T00:00:00Z")
    html = logged_in(people.supervisor).get(detail).content.decode()
    assert html.count('data-late="1"') == 1 and "past its deadline" in html

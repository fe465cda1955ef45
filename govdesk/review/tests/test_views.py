"""The review pages: who may open them, the figures as links to their drill-down, the comparison and its chart, the
downloads, and 404 (never 500) for a year or code that does not exist."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import docx
import pytest
from django.conf import settings
from django.test import Client

from govdesk.audit.models import AuditEvent
from govdesk.ledgers.models import ToiletRenovation
from govdesk.org.tests.factories import login_verified
from govdesk.review.models import ReviewTemplate

from .records import MAKERS, YEAR, indicator_value

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    login_verified(client, user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def records(world: SimpleNamespace) -> SimpleNamespace:
    MAKERS["toilets_completed"](world)
    MAKERS["citizen_matters"](world)
    indicator_value("gdp", "250.2", last_year="230")
    return world


@pytest.mark.parametrize("who", ["leader", "supervisor", "sysadmin"])
def test_readers_open_every_page(who: str, records: SimpleNamespace) -> None:
    client = _client(getattr(records.people, who))
    assert client.get("/review/").status_code == 200
    assert client.get(f"/review/{YEAR}/").status_code == 200
    assert client.get(f"/review/{YEAR}/figures/toilets_completed/").status_code == 200


@pytest.mark.parametrize("who", ["handler_a", "street_admin", "operator", "citizen"])
def test_units_and_citizens_are_refused(who: str, records: SimpleNamespace) -> None:
    client = _client(getattr(records.people, who))
    for url in (
        "/review/",
        f"/review/{YEAR}/",
        f"/review/{YEAR}/figures/toilets_completed/",
        f"/review/{YEAR}/work-review-{YEAR}.docx",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_users_are_sent_to_log_in() -> None:
    response = Client().get(f"/review/{YEAR}/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_year_page_links_each_figure_to_its_drill_down(records: SimpleNamespace) -> None:
    html = _client(records.people.leader).get(f"/review/{YEAR}/").content.decode()
    assert (
        '<a class="figure" data-figure="toilets_completed" href="/review/2022/figures/toilets_completed/">1000座</a>'
        in html
    )
    assert '<a class="figure" data-figure="gdp" href="/review/2022/figures/gdp/">250.2亿元</a>' in html
    assert "一、2022年工作回顾" in html
    # The comparison: every figure, this year against last, and the chart of the changes.
    rows = re.findall(r'<tr data-figure="([a-z_]+)">', html)
    assert len(rows) == 49
    gdp_row = html[html.index('<tr data-figure="gdp">') :].split("</tr>")[0]
    assert "250.2亿元" in gdp_row and "230亿元" in gdp_row and "+8.8%" in gdp_row
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "yoy-chart" in html


def test_the_drill_down_lists_the_ledger_rows(records: SimpleNamespace) -> None:
    html = _client(records.people.supervisor).get(f"/review/{YEAR}/figures/toilets_completed/").content.decode()
    for row in ToiletRenovation.objects.all():
        assert f'href="/ledgers/toilets/{row.pk}/"' in html
    assert "1000座" in html


def test_a_platform_figure_shows_its_counts_per_kind(records: SimpleNamespace) -> None:
    html = _client(records.people.leader).get(f"/review/{YEAR}/figures/citizen_matters/").content.decode()
    assert 'data-testid="figure-counts"' in html
    assert 'href="/orders/"' in html and 'href="/applications/"' in html and 'href="/packages/cases/"' in html
    assert "5件" in html


def test_the_downloads(records: SimpleNamespace) -> None:
    client = _client(records.people.leader)
    response = client.get(f"/review/{YEAR}/work-review-{YEAR}.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="work-review-{YEAR}.docx"'
    document = docx.Document(io.BytesIO(response.content))
    assert any("实施农厕改造1000座" in p.text for p in document.paragraphs)
    pdf = client.get(f"/review/{YEAR}/work-review-{YEAR}.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "url",
    [
        "/review/1999/",
        "/review/99999/",
        "/review/2022/figures/no_such_figure/",
        "/review/1800/figures/gdp/",
        "/review/2022/work-review-2021.docx",
        "/review/2022/work-review-2022.exe",
        "/review/2022/preview/999999/",
        "/review/abc/",
    ],
)
def test_a_bad_year_code_or_file_is_404(url: str, people: SimpleNamespace) -> None:
    assert _client(people.supervisor).get(url).status_code == 404


def test_no_active_template_is_a_clear_page_not_a_500(people: SimpleNamespace) -> None:
    ReviewTemplate.objects.update(is_active=False)
    response = _client(people.leader).get(f"/review/{YEAR}/")
    assert response.status_code == 404


def test_the_preview_renders_any_template_for_editors_only(records: SimpleNamespace) -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    draft = ReviewTemplate.objects.create(name="草稿", heading="{{year}}年要点")
    draft.paragraphs.create(order=1, text="实施农厕改造{{toilets_completed}}。")
    for who in ("supervisor", "sysadmin"):
        html = _client(getattr(records.people, who)).get(f"/review/{YEAR}/preview/{draft.pk}/").content.decode()
        assert "2022年要点" in html and "实施农厕改造" in html and "1000座" in html
    assert _client(records.people.leader).get(f"/review/{YEAR}/preview/{template.pk}/").status_code == 403


def test_a_broken_template_is_shown_as_a_message(records: SimpleNamespace) -> None:
    draft = ReviewTemplate.objects.create(name="坏模板", heading="x")
    draft.paragraphs.create(order=1, text="{{no_such_figure}}")
    response = _client(records.people.supervisor).get(f"/review/{YEAR}/preview/{draft.pk}/")
    assert response.status_code == 409
    assert "no_such_figure" in response.content.decode()


def test_the_menu_shows_the_review_to_its_readers(people: SimpleNamespace) -> None:
    assert 'href="/review/"' in _client(people.leader).get("/review/").content.decode()
    assert 'href="/review/"' not in _client(people.handler_a).get("/inbox/").content.decode()


def test_the_office_edits_a_template_and_sees_it_previewed(records: SimpleNamespace) -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    client = _client(records.people.supervisor)
    form = client.get(f"/review/templates/{template.pk}/")
    assert form.status_code == 200 and "——经济运行企稳向好。" in form.content.decode()
    response = client.post(
        f"/review/templates/{template.pk}/",
        {
            "heading": "一、{{year}}年工作回顾",
            "lead": ["——乡村建设。", ""],
            "text": ["实施农厕改造{{toilets_completed}}。", ""],
        },
    )
    assert response.status_code == 302 and f"/preview/{template.pk}/" in response["Location"]
    paragraphs = list(template.paragraphs.values_list("heading", "text"))
    assert paragraphs == [("——乡村建设。", "实施农厕改造{{toilets_completed}}。")]
    assert AuditEvent.objects.filter(action="review.template.change", object_id=str(template.pk)).exists()
    html = client.get(f"/review/{YEAR}/").content.decode()
    assert "——乡村建设。" in html and ">1000座</a>" in html


def test_a_bad_placeholder_in_the_office_edit_is_named_and_nothing_is_saved(records: SimpleNamespace) -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    before = list(template.paragraphs.values_list("text", flat=True))
    client = _client(records.people.supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        f"/review/templates/{template.pk}/",
        {"heading": "一、{{year}}年工作回顾", "lead": ["", ""], "text": ["好", "实施农厕改造{{toilet_count}}。"]},
    )
    assert response.status_code == 400
    assert "toilet_count" in response.content.decode()
    assert list(template.paragraphs.values_list("text", flat=True)) == before


def test_leaders_do_not_edit_templates(records: SimpleNamespace) -> None:
    template = ReviewTemplate.objects.get(is_active=True)
    client = _client(records.people.leader)
    assert client.get(f"/review/templates/{template.pk}/").status_code == 403
    assert client.post(f"/review/templates/{template.pk}/", {"heading": "x", "text": ["y"]}).status_code == 403
    assert _client(records.people.supervisor).get("/review/templates/999999/").status_code == 404

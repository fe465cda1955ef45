"""Public guide pages of the packages: list by life event and search, one guide for the whole event."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from govdesk.packages.catalogue import package_version_publish
from govdesk.packages.models import Package

from .helpers import birth_matters, birth_package_data

pytestmark = pytest.mark.django_db


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages are matched in English here
    return client


@pytest.fixture
def package(district: Any) -> dict[str, Any]:
    data = birth_package_data(birth_matters(district.dept_a, district.dept_b), district.dept_a)
    data["attrs"]["promised_limit_days"] = 5
    package_version_publish(**copy.deepcopy(data))
    other = copy.deepcopy(data)
    other.update(code="DEATH")
    other["attrs"].update(name="身后一件事", life_event="death")
    package_version_publish(**other)
    return data


def test_list_groups_by_life_event_and_searches_without_login(package: dict[str, Any]) -> None:
    client = english_client()
    page = client.get("/packages/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "新生儿出生一件事" in html and "身后一件事" in html
    assert html.index('id="event-birth"') < html.index('id="event-death"')
    found = client.get("/packages/", {"q": "xsecs"}).content.decode()
    assert "新生儿出生一件事" in found and "身后一件事" not in found
    by_event = client.get("/packages/", {"event": "death"}).content.decode()
    assert "身后一件事" in by_event and "新生儿出生一件事" not in by_event
    # an unknown life event or an odd query is no error
    assert client.get("/packages/", {"event": "x\x00", "q": "\x00%", "page": "abc"}).status_code == 200


def test_guide_shows_matters_units_dependencies_fields_materials_and_saving(package: dict[str, Any]) -> None:
    html = english_client().get("/packages/BIRTH/").content.decode()
    for text in ("出生医学证明首次签发", "出生登记", "城乡居民基本医疗保险参保登记", "区住建局", "区人社局"):
        assert text in html
    # each merged material once, with the matters that use it
    assert html.count("父母身份证") == 1
    assert html.count("新生儿姓名") == 1
    assert "<svg" in html and "data-print" in html
    # promised 5 days against 3 + 3 + 3 promised separately; one visit against three
    assert "4 working days, 2 visits and 2 forms fewer than applying for each matter separately." in html
    assert "5 working days" in html and "9 working days" in html


def test_guide_unknown_or_inactive_is_404(package: dict[str, Any]) -> None:
    client = english_client()
    assert client.get("/packages/NOPE/").status_code == 404
    Package.objects.filter(code="BIRTH").update(is_active=False)
    assert client.get("/packages/BIRTH/").status_code == 404


def test_matters_index_links_to_the_packages(package: dict[str, Any]) -> None:
    assert 'href="/packages/"' in english_client().get("/matters/").content.decode()

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_every_page_carries_a_script_self_only_policy(client: Any) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_signed_in_pages_are_not_cached(client: Any, people: Any) -> None:
    client.force_login(people.operator)
    assert "no-store" in client.get("/console/")["Cache-Control"]


def test_api_docs_page_has_no_inline_script(client: Any, people: Any) -> None:
    client.force_login(people.operator)
    html = client.get("/api/docs/").content.decode()
    inline = [s for s in re.findall(r"<script([^>]*)>", html) if "src=" not in s]
    assert inline == []
    assert "cdn" not in html.lower()

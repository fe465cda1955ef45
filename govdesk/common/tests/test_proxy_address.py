"""The client's address behind the TLS proxy: the last X-Forwarded-For entry, trusted only when configured."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from govdesk.common.middleware import ProxyClientAddressMiddleware


def _seen_address(settings: Any, *, behind_proxy: bool, forwarded: str | None) -> str:
    settings.GOVDESK = {**settings.GOVDESK, "BEHIND_PROXY": behind_proxy}
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    ProxyClientAddressMiddleware(view)(request)
    return seen["address"]


def test_behind_the_proxy_the_address_it_wrote_is_the_client(settings: Any) -> None:
    # A client's own claim ("6.6.6.6") comes first; the proxy appends what it saw.
    assert _seen_address(settings, behind_proxy=True, forwarded="6.6.6.6, 10.8.1.20") == "10.8.1.20"


def test_without_the_proxy_setting_the_header_is_ignored(settings: Any) -> None:
    assert _seen_address(settings, behind_proxy=False, forwarded="10.8.1.20") == "127.0.0.1"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "10.8.1.20, <script>"])
def test_a_missing_or_malformed_header_keeps_the_connection_address(settings: Any, forwarded: str | None) -> None:
    assert _seen_address(settings, behind_proxy=True, forwarded=forwarded) == "127.0.0.1"


def test_the_production_settings_trust_the_proxy_by_default(monkeypatch: Any) -> None:
    import importlib
    import sys

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "govdesk.example")
    monkeypatch.setenv("GOVDESK_FIELD_KEYS", "k1:" + "A" * 43 + "=")
    monkeypatch.setenv("GOVDESK_BLIND_INDEX_KEY", "B" * 43 + "=")
    monkeypatch.delenv("GOVDESK_BEHIND_PROXY", raising=False)
    sys.modules.pop("govdesk.settings.prod", None)
    prod = importlib.import_module("govdesk.settings.prod")
    assert prod.GOVDESK["BEHIND_PROXY"] is True
    monkeypatch.setenv("GOVDESK_BEHIND_PROXY", "0")
    sys.modules.pop("govdesk.settings.prod", None)
    assert importlib.import_module("govdesk.settings.prod").GOVDESK["BEHIND_PROXY"] is False
    sys.modules.pop("govdesk.settings.prod", None)

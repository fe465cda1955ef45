from __future__ import annotations

from typing import Any

from govdesk.security.checks import two_factor_roles_check


def test_an_unknown_role_in_govdesk_2fa_roles_is_a_check_error(settings: Any) -> None:
    assert two_factor_roles_check() == []
    settings.GOVDESK = {**settings.GOVDESK, "TWO_FACTOR_ROLES": ["operator", "opreator"]}
    errors = two_factor_roles_check()
    assert [e.id for e in errors] == ["security.E001"]
    assert "opreator" in errors[0].msg

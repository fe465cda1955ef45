"""What permit an approval issues, asked of the apps above permits (docs/architecture.md, "Layers").

The permits app hears every approval (subscribers.py) but cannot import the apps that know more about it (a
construction project's stage: whether the approval issues a permit of its own, under which project, on the
applicant's commitment). Such an app registers a provider from its `AppConfig.ready()`; the first provider that
answers (not None) decides. With none, an approval issues the default: a decision on the matter, no project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation


@dataclass(frozen=True)
class PermitTerms:
    """`kind`: the document's name (None: the approval issues no permit of its own, e.g. a joint acceptance's
    inspection, whose one result the stage issues); `project_id`: the construction project it belongs to;
    `on_commitment`: approved on the applicant's written commitment (告知承诺), verified by its unit within
    `verify_days` working days; `holder_name`: who holds it when not the applicant (a project's owner); blank: the
    applicant."""

    kind: str | None
    project_id: int | None = None
    on_commitment: bool = False
    verify_days: int = 0
    holder_name: str = ""


PermitTermsProvider = Callable[[Any], "PermitTerms | None"]

_PROVIDERS: list[PermitTermsProvider] = []


def permit_terms_provide(fn: PermitTermsProvider) -> None:
    """Ask `fn(application)` what an approval issues (once per function: ready() may run again)."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)


def permit_terms_default(application: Any) -> PermitTerms:
    """The decision on the application's matter (…准予行政许可决定书), under no project."""
    matter = getattr(application, "matter", None)
    name = getattr(matter, "name", "") or ""
    # Stored in the registry: in the site's language, whatever the approving request's language.
    with translation.override(settings.LANGUAGE_CODE):
        if name:
            kind = translation.gettext("%(matter)s: approval decision") % {"matter": name}
        else:
            kind = translation.gettext("Approval decision")
    return PermitTerms(kind=kind[:100])


def permit_terms_for(application: Any) -> PermitTerms:
    """The first registered provider's answer, or the default terms when none answers."""
    for provider in _PROVIDERS:
        terms = provider(application)
        if terms is not None:
            return terms
    return permit_terms_default(application)

"""Labels of the timeline events that apps above the case core write on a case of any kind (supervision, ratings).

Each case type labels its own actions; these come from elsewhere and read the same on every case's timeline.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

CASE_EVENT_LABELS: dict[str, Any] = {
    "urge": _("Urged"),
    "supervise": _("Supervised"),
    "note": _("Process note"),
    "escalate": _("Escalated to the supervisors"),
    "escalation-handled": _("Escalation handled"),
    "supervision-note": _("Supervisor's note"),
    "supervision-answer": _("Supervision case answered"),
    "supervision-close": _("Supervision case closed"),
    "supervision-reopen": _("Supervision case reopened"),
    "evaluate": _("Rated by the citizen"),
    "rectification-answer": _("Rectification answered"),
}

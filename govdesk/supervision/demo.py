"""Supervision in the demo: after the replayed history, the sweep urges and escalates, and the supervisor opens a
few 督办 (one answered by the unit, one of those closed), all through the services at the end of the history."""

from __future__ import annotations

from django.db import transaction

from govdesk.applications.models import Application
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.org.models import Role, User
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .models import Escalation, EscalationStatus
from .services import supervision_case_answer, supervision_case_close, supervision_case_open, supervision_sweep

REASONS = (
    "该工单已超期，请于限期内报告办理进展和预计办结时间。",
    "群众多次来电反映，请主要负责同志亲自过问，限期答复。",
    "请核实现场情况并提交整改措施。",
    "超期未办结，列入本周督办事项，请书面答复。",
)
APPLICATION_REASON = "该办件已超过承诺办理时限，请说明原因并限期作出决定。"
APPLICATION_SOON_REASON = "该办件临近承诺办理时限，请加快办理并报告进展。"
ANSWERS = (
    "已组织人员现场核查，问题已整改完毕，已与来电人沟通。",
    "已制定整改方案，预计本周五前办结，办结后及时答复来电人。",
)


def supervision_demo_seed(*, cases: int = 4) -> dict[str, int]:
    """Run the sweep once at the end of the history (it urges and escalates applications too), then open `cases`
    督办 on escalated (or overdue) orders and one on an application."""
    with transaction.atomic():
        counts = supervision_sweep(now=clock.now()).counts()
        supervisor = User.objects.filter(username="supervisor").first()
        if supervisor is None:
            return counts
        escalated = Escalation.objects.filter(status=EscalationStatus.OPEN).values("case_id")
        orders = list(
            WorkOrder.objects.filter(pk__in=escalated, status=Status.HANDLING).order_by("due_at", "pk")[:cases]
        )
        opened = answered = closed = 0
        for i, order in enumerate(orders):
            try:
                sc = supervision_case_open(
                    order=order.number, actor=supervisor, reason=REASONS[i % len(REASONS)], answer_days=1 + i % 3
                )
                opened += 1
                handler = (
                    User.objects.filter(groups__name=Role.HANDLER.value, unit=order.primary_unit).order_by("pk").first()
                )
                if i % 2 == 1 and handler is not None:
                    supervision_case_answer(case_id=sc.pk, actor=handler, answer=ANSWERS[i // 2 % len(ANSWERS)])
                    answered += 1
                    if i == 3:
                        supervision_case_close(case_id=sc.pk, actor=supervisor, note="答复属实，督办办结。")
                        closed += 1
            except ApplicationError:
                continue
        # And one on an application (the one overdue the longest, else the one due soonest), so the application
        # pages show a 督办 too.
        handling = Application.objects.filter(status=ApplicationStatus.HANDLING, due_at__isnull=False)
        application = handling.filter(is_overdue=True).order_by("due_at").first()
        reason = APPLICATION_REASON
        if application is None:
            application, reason = handling.order_by("due_at").first(), APPLICATION_SOON_REASON
        if application is not None:
            try:
                supervision_case_open(order=application.number, actor=supervisor, reason=reason)
                opened += 1
            except ApplicationError:
                pass
    return {**counts, "cases_opened": opened, "cases_answered": answered, "cases_closed": closed}

"""A constructed November of construction projects whose average approval times are counted by hand (the figures in
test_average_times.py's docstring), for the selector's, the dashboard's and the monthly report's tests."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from . import factories as f

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def month(district: SimpleNamespace) -> SimpleNamespace:
    a = district.dept_a
    social = f.flow_create(
        "SOCIAL", "社会投资项目", total=45, stages=[("立项用地规划许可", 10, a, []), ("工程建设许可", 15, a, [])]
    )
    small = f.flow_create("SMALL", "小型低风险项目", total=15, stages=[("一站式办理", 15, a, [])], order=1)

    def done(flow: f.Flow, no: int, when: datetime, days: int, project: object = None) -> object:
        project = project or f.project_create(flow, registered_at=at(9, 1))
        f.stage_apply(project, no, accepted_at=at(9, 2), due_at=at(12, 31))  # type: ignore[arg-type]
        f.stage_done(project, no, done_at=when, elapsed_days=days)  # type: ignore[arg-type]
        return project

    x = done(social, 1, at(11, 12), 7)
    done(social, 2, at(11, 28), 10, x)
    f.project_complete(x, completed_at=at(11, 28), elapsed_days=17)  # type: ignore[arg-type]
    y = done(social, 1, at(11, 20), 4)
    f.project_complete(y, completed_at=at(11, 30, 23), elapsed_days=20)  # type: ignore[arg-type]
    done(social, 1, at(11, 30, 23, 30), 6)  # V
    done(social, 1, at(10, 31, 23, 30), 9)  # Z, October
    w = done(social, 1, at(12, 1, 0, 30), 2)  # W, December
    f.project_complete(w, completed_at=at(12, 1, 0, 30), elapsed_days=2)  # type: ignore[arg-type]
    u = f.project_create(social, registered_at=at(11, 1))
    f.stage_apply(u, 1, accepted_at=at(11, 2), due_at=at(11, 16))  # U, under way
    done(small, 1, at(11, 5), 3)  # S
    return SimpleNamespace(social=social, small=small)

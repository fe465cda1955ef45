"""Which demo accounts there are: the fixed ones of `district.ACCOUNTS` plus one handler per unit that takes orders."""

from __future__ import annotations

from dataclasses import dataclass

from govdesk.org.models import Role, Unit, UnitKind, User

from .district import ACCOUNTS, unit_handler_username


@dataclass(frozen=True)
class DemoAccountWanted:
    username: str
    role: str
    unit_code: str | None
    name: str


@dataclass(frozen=True)
class DemoAccountRow:
    """A demo account as it is in the database (role and unit read back, not assumed)."""

    username: str
    role: str
    unit_code: str | None
    unit_name: str
    name: str


def demo_accounts_wanted() -> list[DemoAccountWanted]:
    """The fixed accounts, then a handler for every department or street that takes orders and has no named one."""
    wanted = [DemoAccountWanted(a.username, a.role.value, a.unit_code, a.display_name) for a in ACCOUNTS]
    named_units = {a.unit_code for a in ACCOUNTS if a.role == Role.HANDLER}
    takers = Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], accepts_orders=True)
    for taker in takers:
        if taker.code not in named_units:
            wanted.append(
                DemoAccountWanted(
                    unit_handler_username(taker.code), Role.HANDLER.value, taker.code, f"{taker.name}承办人"
                )
            )
    return wanted


def demo_accounts_list() -> list[DemoAccountRow]:
    """The demo accounts present in the database, in the order `demo_accounts_wanted` gives (a tester looks up the
    handler of a unit here)."""
    usernames = [w.username for w in demo_accounts_wanted()]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=usernames).select_related("unit").prefetch_related("groups")
    }
    rows = []
    for username in usernames:
        user = users.get(username)
        if user is None:
            continue
        roles = sorted(g.name for g in user.groups.all())
        rows.append(
            DemoAccountRow(
                username=username,
                role=",".join(roles),
                unit_code=user.unit.code if user.unit else None,
                unit_name=user.unit.name if user.unit else "",
                name=user.display_name,
            )
        )
    return rows

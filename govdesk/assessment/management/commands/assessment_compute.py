"""manage.py assessment_compute --month YYYY-MM: score a month's units and replace its stored ranking."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.assessment.models import AssessmentRuleSet
from govdesk.assessment.selectors import month_current, month_parse, month_shift
from govdesk.assessment.services import assessment_compute
from govdesk.common.errors import ApplicationError


class Command(BaseCommand):
    help = "Compute the unit assessment of a month (default: the previous month) and store it, replacing the old one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the previous month)")
        parser.add_argument("--rule-set", type=int, help="id of the rule set to use (default: the one in force)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            month = month_parse(options.get("month"), default=month_shift(month_current(), -1))
            rule_set = None
            if options.get("rule_set") is not None:
                rule_set = AssessmentRuleSet.objects.filter(pk=options["rule_set"]).first()
                if rule_set is None:
                    raise CommandError(f"no rule set with id {options['rule_set']}")
            results = assessment_compute(month, rule_set, progress=self.stdout.write)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        ranked = sorted((r for r in results if r.rank is not None), key=lambda r: r.rank or 0)
        for r in ranked[:10]:
            self.stdout.write(f"  {r.rank:>3}. {r.unit_name} ({r.unit_code}) {r.score}")
        if len(ranked) > 10:
            self.stdout.write(f"  … {len(ranked) - 10} more ranked units")

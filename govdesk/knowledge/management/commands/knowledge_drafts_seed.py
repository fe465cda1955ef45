from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common.errors import ApplicationError
from govdesk.knowledge import seeding

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Seed the knowledge base with draft articles made from the board's 2,779 answered messages "
        "(govdesk/dispatch/data/messages_replies.csv.gz): repeated questions grouped, one draft per group, for the "
        "responsible unit (the dispatch classifier's level-1 category → the dispatch catalogue's unit) to review. "
        "Drafts are never shown to callers until a unit submits and the centre publishes them. A second run adds "
        "nothing (a draft's source, its message ids, is its key). --publish-demo N then has the demo units' writers "
        "submit and the centre's reviewer publish N of them through the services (demo data only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="seed only the first N drafts (largest groups)")
        parser.add_argument(
            "--publish-demo",
            type=int,
            default=0,
            metavar="N",
            help="demo only: submit and publish N seeded drafts (in total, counting those already published)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when seeded drafts already exist (make run: no grouping work on every start)",
        )
        parser.add_argument(
            "--default-unit",
            default="",
            metavar="CODE",
            help="the unit for drafts whose category has no dispatch rule (default: the first department)",
        )
        parser.add_argument("--actor", default="", help="the account the drafts are created by (default: the system)")
        parser.add_argument("--dry-run", action="store_true", help="build and count the drafts; store nothing")

    def _say(self, text: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self.started:6.1f} s] {text}")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        self.started = time.monotonic()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        self._say(f"knowledge_drafts_seed (load average {load:.2f}, {os.cpu_count()} CPUs)")
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        if options["publish_demo"] < 0:
            raise CommandError("--publish-demo must be 0 or more")
        try:
            self._run(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self._say(f"knowledge_drafts_seed finished in {time.monotonic() - self.started:.1f} s")

    def _run(self, options: dict[str, Any]) -> None:
        existing = seeding.seeded_count()
        if options["if_empty"] and existing:
            self._say(f"already seeded: {existing:,} drafts from the board's messages; nothing to add")
        else:
            self._seed(options)
        if options["publish_demo"] and not options["dry_run"]:
            published, already = seeding.demo_publish(options["publish_demo"], say=self._say)
            self._say(f"published {published:,} seeded drafts (already published before: {already:,})")

    def _seed(self, options: dict[str, Any]) -> None:
        # Imported here: scikit-learn and jieba take seconds to load, and `make run` mostly takes the --if-empty path.
        from govdesk.knowledge import drafts as drafts_core

        limit, dry_run = options["limit"], options["dry_run"]
        self._say("reading the board's answered messages; grouping repeated questions")
        groups = drafts_core.shipped_groups()
        repeated = sum(1 for g in groups if len(g.messages) > 1)
        messages = sum(len(g.messages) for g in groups)
        self._say(f"{messages:,} messages in {len(groups):,} groups ({repeated:,} of two or more messages)")
        classify = _classifier(self._say)
        built = drafts_core.drafts_build(groups, classify=classify, limit=limit)
        self._say(f"{len(built):,} drafts built (groups without a usable reply are left out)")
        if dry_run:
            new = seeding.sources_missing([d["source"] for d in built])
            self._say(f"dry run: would add {len(new):,} drafts; nothing stored")
            return
        actor = seeding.seed_actor(options["actor"])
        unit_for = seeding.unit_resolver(default_code=options["default_unit"])
        created = 0
        for start in range(0, len(built), CHUNK):
            chunk = built[start : start + CHUNK]
            created += seeding.drafts_store(chunk, actor=actor, unit_for=unit_for)
            self._say(f"stored {min(start + CHUNK, len(built)):,}/{len(built):,} (new: {created:,})")
        self._say(f"added: {created:,} drafts; already present: {len(built) - created:,}")


def _classifier(say: Callable[[str], None]) -> Callable[[Sequence[str], Sequence[str]], Sequence[str]] | None:
    from govdesk.dispatch.core.classifier import ModelUnavailable
    from govdesk.dispatch.selectors import dispatch_model

    try:
        model = dispatch_model()
    except ModelUnavailable as exc:
        say(f"no dispatch model ({exc}): every draft goes to the default unit")
        return None
    say(f"categories from the dispatch model {model.version}")
    return model.predict

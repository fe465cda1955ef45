"""社会投资简易低风险项目 in a real browser, from registration to completion filing, on the shipped flow (type
`low_risk`: its three stage packages and their matters loaded from the shipped data, as the demo loads them):

the owner registers the project online and applies for stage 1 (立项用地规划许可) with one form and the materials;
the clerk accepts it at the package page; 项目备案 is instant and 建设用地规划许可证 (告知承诺) is approved on
commitment with no handler's action, its permit saying so; stage 2's form comes prefilled with stage 1's answers and
does not ask again for the land contract handed in at stage 1; 自然资源's handler approves the planning permit from
their inbox and the construction permit follows on commitment; stage 3's joint acceptance: the lead unit sets the
inspection day, 自然资源 and 住建 approve their joint parts in parallel and ONE 联合验收意见书 is issued; 住建 files
the completion (竣工验收备案). Every permit of the project is in the registry and verifies publicly (an invented
number does not), and the staff timeline shows every stage done within its limit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from govdesk.matters.transfer import matters_import
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory, UserFactory
from govdesk.packages.models import PackageApplication, PackagePart
from govdesk.packages.transfer import packages_import
from govdesk.permits.models import Permit
from govdesk.projects.flows import project_types_import
from govdesk.projects.models import Project, ProjectStage

from .pages import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GOVDESK = Path(__file__).resolve().parents[2] / "govdesk"
TYPE = "low_risk"
FILING = "141102-20-ZJ-0003"  # 建设工程竣工验收备案, after the joint acceptance
PLANNING_CHECK = "141102-09-ZR-0016"  # 规划条件核实, joint
FIRE_CHECK = "141102-20-ZJ-0019"  # 消防验收备案, joint
PLANNING_PERMIT = "141102-01-ZR-0008"  # 建设工程规划许可证, reviewed by 自然资源
LAND_CONTRACT = "GC03"  # handed in at stage 1, needed again at stage 2


def landed(page: Any, pattern: str) -> None:
    """After a submit: the page went where it should, or the assertion shows the form's messages."""
    page.wait_for_load_state("networkidle")
    errors = page.locator(".has-error, .alert-error").all_inner_texts()
    assert re.search(pattern, page.url), f"{page.url}: {errors}"


def _shipped(path: Path, key: str, keep: Any) -> bytes:
    """The shipped file cut to what the low-risk flow needs (the whole catalogue takes half a minute to import)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps({key: [row for row in data[key] if keep(row)]}, ensure_ascii=False).encode()


@pytest.fixture
def low_risk(district: SimpleNamespace, people: SimpleNamespace) -> SimpleNamespace:
    """The shipped low-risk flow over the units its matters name, the hall's clerk, the owner, a handler of each
    unit that decides something (发改's filing is instant, so it has none)."""
    UnitFactory(code="LS-ZR", name="区自然资源局", kind=UnitKind.DEPARTMENT, parent=district.gov)
    UnitFactory(code="LS-FG", name="区发改局", kind=UnitKind.DEPARTMENT, parent=district.gov)
    centre = UnitFactory(code="LS-ZWFW", name="区政务服务中心", parent=district.gov, accepts_orders=False)
    flows = json.loads((GOVDESK / "projects/data/project_types.json").read_text(encoding="utf-8"))
    flow = next(t for t in flows["project_types"] if t["code"] == TYPE)
    packages = {s["package"] for s in flow["stages"]}
    shipped_packages = json.loads((GOVDESK / "packages/data/demo_packages.json").read_text(encoding="utf-8"))
    matters = {i["matter"] for p in shipped_packages["packages"] if p["code"] in packages for i in p["items"]}
    for content, name, load in (
        (
            _shipped(GOVDESK / "matters/data/demo_catalogue.json", "matters", lambda m: m["code"] in matters),
            "m.json",
            matters_import,
        ),
        (
            _shipped(GOVDESK / "packages/data/demo_packages.json", "packages", lambda p: p["code"] in packages),
            "p.json",
            packages_import,
        ),
        (
            _shipped(GOVDESK / "projects/data/project_types.json", "project_types", lambda t: t["code"] == TYPE),
            "t.json",
            project_types_import,
        ),
    ):
        result = load(content=content, filename=name, commit=True)
        assert not result.errors, result.errors
    UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=centre, display_name="窗口李芳")
    UserFactory(username="owner", roles=[Role.CITIZEN], display_name="张工")
    zr = UserFactory(username="zr", roles=[Role.HANDLER], unit=district.gov.children.get(code="LS-ZR"))
    return SimpleNamespace(handlers={"LS-ZR": zr, "LS-ZJ": people.handler_a})


def test_a_low_risk_project_from_registration_to_completion_filing(
    live_server: Any, browser: Any, low_risk: SimpleNamespace, artifacts: Path, tmp_path: Path
) -> None:
    base = live_server.url
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)

    # 1. The owner registers the project online, choosing the type shown with its stages and limits.
    owner = log_in(browser, base, "owner")
    owner.goto(f"{base}/apply/projects/")
    owner.click("[data-testid=register-project]")
    assert "15" in owner.inner_text(f"label:has(#type-{TYPE})")
    owner.check(f"#type-{TYPE}")
    for field, value in (
        ("name", "滨河便民服务站"),
        ("owner", "吕梁滨河置业有限公司"),
        ("owner_credit_code", "91141102MA0K8XY71B"),
        ("investment", "600"),
        ("location", "离石区滨河北路18号"),
        ("land", "国有建设用地（出让）"),
        ("contact_phone", "13812345678"),
        ("contact_id_number", "11010519491231002X"),
    ):
        owner.fill(f"#id_{field}", value)
    owner.click("[data-testid=submit-project]")
    landed(owner, r"/apply/projects/\d{4}-")
    project = Project.objects.get()
    assert project.type.code == TYPE

    def apply_stage(no: int, answers: dict[str, str]) -> PackageApplication:
        owner.goto(f"{base}/apply/projects/{project.code}/")
        owner.click(f"#stage-{no} [data-testid=apply-stage]")
        owner.wait_for_url(re.compile(rf"/stages/{no}/"))
        for field, value in answers.items():
            owner.fill(f"#id_f_{field}", value)
        owner.select_option("#id_f_delivery", "电子证照")
        owner.check("#id_f_promise")
        for upload in owner.locator("#package-form input[type=file]").all():
            upload.set_input_files(str(scan))
        owner.screenshot(path=str(artifacts / f"projects-stage-{no}.png"), full_page=True)
        owner.click("[data-testid=submit-stage]")
        landed(owner, r"/apply/packages/mine/")
        package_application = ProjectStage.objects.get(project=project, no=no).package_application
        assert package_application is not None
        return package_application

    clerk = log_in(browser, base, "clerk")

    def accept(package_application: PackageApplication) -> None:
        clerk.goto(f"{base}/packages/cases/{package_application.number}/")
        clerk.click("[data-testid=act-accept]")
        clerk.wait_for_load_state("networkidle")
        package_application.refresh_from_db()
        assert package_application.status != "submitted"

    handlers = {unit: log_in(browser, base, user.username) for unit, user in low_risk.handlers.items()}

    def part(package_application: PackageApplication, matter: str) -> Any:
        found = PackagePart.objects.select_related("application").get(
            package_application=package_application, matter__code=matter
        )
        return found.application

    def approve_from_inbox(unit: str, package_application: PackageApplication, matter: str) -> None:
        application = part(package_application, matter)
        assert application is not None, f"{matter} has not started"
        page = handlers[unit]
        page.goto(f"{base}/applications/")
        page.click(f"#application-{application.number} a")
        page.wait_for_url(re.compile(rf"/applications/{application.number}/"))
        page.locator("#act-approve button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        application.refresh_from_db()
        assert application.decided_at is not None

    # 2. Stage 1 with one form; the clerk accepts: the filing is instant, the land-use permit approved on commitment.
    stage1 = apply_stage(1, {"construction_area": "1800"})
    accept(stage1)
    stage1.refresh_from_db()
    assert ProjectStage.objects.get(project=project, no=1).status == "done"
    land_permit = Permit.objects.get(project=project, kind="建设用地规划许可证")
    assert land_permit.on_commitment and land_permit.verify_due_at is not None
    owner.goto(f"{base}/apply/projects/{project.code}/")
    assert "告知承诺" in owner.inner_text(f"[data-permit='{land_permit.number}']")

    # 3. Stage 2's form starts from stage 1's answers, and the land contract handed in then is not asked again.
    owner.click("#stage-2 [data-testid=apply-stage]")
    owner.wait_for_url(re.compile(r"/stages/2/"))
    assert owner.input_value("#id_f_construction_area") == "1800"
    assert owner.input_value("#id_f_project_name") == "滨河便民服务站"
    assert owner.get_attribute(f"#material-{LAND_CONTRACT}", "data-received") == "yes"
    assert owner.locator(f"#file-{LAND_CONTRACT}").count() == 0
    stage2 = apply_stage(2, {})
    accept(stage2)
    # 自然资源 reviews the planning permit; the construction permit follows it on commitment.
    approve_from_inbox("LS-ZR", stage2, PLANNING_PERMIT)
    assert ProjectStage.objects.get(project=project, no=2).status == "done"
    assert Permit.objects.get(project=project, kind="建筑工程施工许可证").on_commitment

    # 4. Joint acceptance: the lead unit (住建) sets the day; both units approve their joint parts; one opinion.
    stage3 = apply_stage(3, {})
    accept(stage3)
    zj = handlers["LS-ZJ"]
    zj.goto(f"{base}/projects/{project.code}/")
    zj.fill("#joint-3 input[name=inspect_on]", timezone.localdate().isoformat())
    zj.click("#joint-3 [data-testid=joint-schedule]")
    zj.wait_for_load_state("networkidle")
    assert zj.inner_text("#joint-3 [data-testid=inspect-on]") != "—"
    approve_from_inbox("LS-ZR", stage3, PLANNING_CHECK)
    approve_from_inbox("LS-ZJ", stage3, FIRE_CHECK)
    assert Permit.objects.filter(project=project, kind="联合验收意见书").count() == 1
    # 5. Completion filing (竣工验收备案) by 住建: the project is complete.
    approve_from_inbox("LS-ZJ", stage3, FILING)
    project.refresh_from_db()
    assert project.status == "completed"

    # 6. Every permit of the project is in the registry and verifies publicly; an invented number does not.
    permits = list(Permit.objects.filter(project=project))
    assert {"建设用地规划许可证", "建设工程规划许可证", "建筑工程施工许可证", "联合验收意见书"} <= {
        p.kind for p in permits
    }
    clerk.goto(f"{base}/permits/?project={project.code}")
    registry = clerk.content()
    public = browser.new_context(locale="en-US").new_page()
    for permit in permits:
        assert permit.number in registry, permit.number
        public.goto(f"{base}/permits/verify/?number={permit.number}")
        assert permit.number in public.content() and permit.kind in public.content()
    invented = public.goto(f"{base}/permits/verify/?number=LS-NO-SUCH-0001")
    assert invented is not None and invented.status == 404

    # 7. The staff timeline: every stage done within its limit.
    zj.goto(f"{base}/projects/{project.code}/")
    zj.screenshot(path=str(artifacts / "projects-timeline.png"), full_page=True)
    for no in (1, 2, 3):
        row = zj.locator(f"#stage-{no}")
        assert row.get_attribute("data-status") == "done"
        assert "overdue" not in (row.get_attribute("class") or "")
    for stage in ProjectStage.objects.filter(project=project):
        assert stage.elapsed_days is not None and stage.elapsed_days <= stage.limit_days
    for page in (owner, clerk, *handlers.values()):
        assert page.js_errors == [], page.js_errors

"""The shipped demo packages never ask the applicant for a document one of the package's own parts produces: every
material a matter needs whose name is the result of a part it depends on (directly or through others) is marked
`from_result_of` that part. A result is matched by name: the producing matter's name starting with the document's
(残疾人证核发 → 残疾人证), or the documents recorded below for results named otherwise (个体工商户设立登记 →
营业执照)."""

from __future__ import annotations

import json
from typing import Any

from govdesk.matters.management.commands.matters_import import DEMO_CATALOGUE
from govdesk.packages.management.commands.packages_import import DEMO_PACKAGES

# The producing matter (by name) → the documents its result is, as the catalogue names them where they are needed.
RESULTS = {
    "出生医学证明首次签发": ["出生医学证明"],
    "出生登记": ["居民户口簿或居住证"],
    "个体工商户设立登记": ["营业执照"],
    "个体工商户转型为企业登记": ["营业执照"],
    "农民专业合作社设立登记": ["营业执照"],
    "有限责任公司设立登记": ["营业执照", "营业执照或事业单位法人证书", "营业执照或登记证书"],
    "有限责任公司变更登记": ["营业执照"],
    "民办非企业单位成立登记": ["营业执照", "营业执照或登记证书"],
    "社会团体成立登记": ["营业执照", "营业执照或登记证书"],
    "实施学历教育的民办学校设立": ["业务主管单位批准文件"],
    "幼儿园设立审批": ["业务主管单位批准文件"],
    "校外培训机构设立审批": ["业务主管单位批准文件"],
    "医疗机构设置审批": ["设置医疗机构批准书"],
    "医疗机构执业登记": ["医疗机构执业许可证"],
    "诊所备案": ["医疗机构执业许可证"],
    "企业职工基本养老保险退休待遇核准": ["离退休证明或养老保险待遇核定材料", "退休审批表"],
    "残疾人证核发": ["残疾人证", "二级以上医疗机构诊断证明或残疾人证"],
    "残疾人证换领、补领": ["残疾人证"],
    "社会保障卡申领": ["社会保障卡"],
    "社会保障卡挂失补换": ["社会保障卡"],
    "居民死亡医学证明（推断）书签发": ["死亡医学证明或死亡证明", "死亡证明"],
    "工伤认定": ["工伤认定决定书"],
    "家庭经济困难学生认定": ["家庭经济困难证明"],
    "无犯罪记录证明开具": ["无犯罪记录证明"],
    "清税证明开具（注销税务登记）": ["清税证明"],
    "不动产转移登记": ["不动产权证书"],
    "存量房交易税费申报": ["完税凭证"],
    "新建商品房买卖合同网签备案": ["买卖合同或其他转移证明"],
    "建设工程规划许可证核发": ["建设工程规划许可证"],
    "企业投资项目备案": ["项目立项文件（备案证明或审批文件）"],
    "政府投资项目可行性研究报告审批": ["项目立项文件（备案证明或审批文件）"],
    "房屋建筑和市政基础设施工程质量监督手续": ["质量安全监督手续"],
    "建设工程消防验收": ["规划、消防等认可文件"],
    "农村村民宅基地审批": ["不动产权属来源证明"],
    "投靠亲属户口迁入": ["户口簿"],
}


def _produces(producer_name: str, document: str) -> bool:
    return document in RESULTS.get(producer_name, []) or (len(document) >= 4 and producer_name.startswith(document))


def _closure(code: str, depends: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    todo = list(depends.get(code, []))
    while todo:
        nxt = todo.pop()
        if nxt not in found:
            found.add(nxt)
            todo.extend(depends.get(nxt, []))
    return found


def _demo() -> tuple[dict[str, str], list[dict[str, Any]]]:
    matters = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))["matters"]
    packages = json.loads(DEMO_PACKAGES.read_text(encoding="utf-8"))["packages"]
    return {m["code"]: m["name"] for m in matters}, packages


def test_no_demo_package_asks_for_a_document_its_own_parts_produce() -> None:
    names, packages = _demo()
    assert len(packages) >= 100
    asked_anyway = []
    marked = 0
    for package in packages:
        depends = {item["matter"]: item["depends_on"] for item in package["items"]}
        for material in package["materials"]:
            for source in material["sources"]:
                producers = [c for c in _closure(source["matter"], depends) if _produces(names[c], material["name"])]
                if source.get("from_result_of"):
                    marked += 1
                    # What is marked is a dependency whose result that document is.
                    assert source["from_result_of"] in producers, (package["code"], material["name"])
                elif producers:
                    asked_anyway.append(f"{package['code']} {material['name']} ← {names[producers[0]]}")
    assert asked_anyway == []
    assert marked >= 100  # the birth certificate, the business licence, ... across the catalogue


def test_every_recorded_result_is_a_matter_of_the_catalogue() -> None:
    names, _packages = _demo()
    assert set(RESULTS) <= set(names.values())

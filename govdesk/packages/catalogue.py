"""Writes and rules of the package catalogue (一件事): new versions, the merged form built from matters, and checking a
package application's merged form against every bundled matter's own rules.

The matter catalogue's checks are reused, not copied: a merged field is checked with `matter_fields_check`, and an
answer is checked once per needed matter with `matter_form_validate`, under the name the matter gives the field.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.common import validators
from govdesk.common.errors import ValidationFailed
from govdesk.matters.models import Matter, MatterVersion
from govdesk.matters.services import (
    _clean_value,
    _is_empty,
    matter_fields_check,
    matter_form_validate,
    pinyin_initials,
)
from govdesk.org.models import Unit

from .models import LifeEvent, Package, PackageItem, PackageMaterial, PackageVersion

MIN_ITEMS = 2
MAX_ITEMS = 20
VERSION_ATTRS = ("name", "life_event", "lead_unit", "description", "promised_limit_days", "fields")
ITEM_KEYS = ("matter", "order", "depends_on", "condition", "field_map")
MATERIAL_KEYS = ("code", "name", "required", "sources", "order")
# A source's keys: the matter's material it stands for and, when that document is the result of a part the matter
# depends on (出生医学证明 for 出生登记), the producing matter's code: the applicant is not asked for it.
SOURCE_KEYS = frozenset({"matter", "material", "from_result_of"})


# --- the rules of a condition ---------------------------------------------------------------------------------------


def condition_holds(condition: dict[str, Any] | None, form: dict[str, Any]) -> bool:
    """{} always holds; {"field": f, "equals": v} holds when the (cleaned) answer to f is v."""
    if not condition:
        return True
    return form.get(str(condition.get("field"))) == condition.get("equals")


def _condition_check(condition: Any, fields: dict[str, dict[str, Any]], where: str) -> list[str]:
    """Problems of a condition / required_if rule on the merged form's fields."""
    if condition in (None, {}):
        return []
    if not isinstance(condition, dict) or set(condition) != {"field", "equals"}:
        return [_('%(where)s: a condition is {"field": name, "equals": value}.') % {"where": where}]
    field = fields.get(condition["field"])
    if field is None:
        return [
            _("%(where)s: the condition's field %(field)s is not in the merged form.")
            % {"where": where, "field": condition["field"]}
        ]
    equals = condition["equals"]
    if field["type"] == "bool" and not isinstance(equals, bool):
        return [_("%(where)s: the condition on a yes/no field must equal true or false.") % {"where": where}]
    if field["type"] == "choice" and equals not in field["choices"]:
        return [
            _("%(where)s: the condition's value must be one of %(choices)s.")
            % {"where": where, "choices": "、".join(field["choices"])}
        ]
    if field["type"] not in ("bool", "choice"):
        return [_("%(where)s: a condition can only be on a yes/no or choice field.") % {"where": where}]
    return []


# --- the merged form -------------------------------------------------------------------------------------------------


def _fits(merged: dict[str, Any], field: dict[str, Any]) -> bool:
    """Whether one package field can stand for both: the same type, and for choices at least one in common."""
    if merged["type"] != field["type"]:
        return False
    return merged["type"] != "choice" or any(choice in field["choices"] for choice in merged["choices"])


def package_merged_form(
    versions: list[MatterVersion], conditions: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The merged form and materials of a package bundling `versions` (matter versions, in order).

    Fields are merged by name: asked once, required when an always-needed matter requires it (when only a conditional
    matter requires it, required under that matter's condition). Two matters using one name for different things (a
    text "reason" and a choice "reason", or choices with none in common) keep separate package fields: the later is
    renamed "<name>_<n>"; a shared choice offers what every matter accepts, a shared text the strictest length.
    Materials are merged by name; `sources` lists each (matter, material) they stand for. `conditions`: {matter code:
    condition}.

    Returns {"fields": [...], "field_maps": {matter code: {package field: matter field}}, "materials": [...]}.
    """
    conditions = conditions or {}
    fields: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    required_when: dict[str, list[dict[str, Any]]] = {}
    field_maps: dict[str, dict[str, str]] = {}
    for position, version in enumerate(versions, start=1):
        code = version.matter.code
        condition = conditions.get(code) or {}
        field_maps[code] = {}
        for field in version.fields:
            name = field["name"]
            merged = by_name.get(name)
            if merged is not None and not _fits(merged, field):
                name = f"{field['name'][:36]}_{position}"
                merged = by_name.get(name)
            if merged is None:
                merged = {key: copy.deepcopy(value) for key, value in field.items() if key != "required"}
                merged["required"] = False
                by_name[name] = merged | {"name": name}
                merged = by_name[name]
                fields.append(merged)
                required_when[name] = []
            else:
                if merged["type"] == "choice":  # only what every matter accepts
                    merged["choices"] = [choice for choice in merged["choices"] if choice in field["choices"]]
                if "max_length" in field and field["max_length"] < merged.get("max_length", 10**6):
                    merged["max_length"] = field["max_length"]  # the strictest limit fits every matter
            if field.get("required"):
                required_when[name].append(condition)
            field_maps[code][name] = field["name"]
    for field in fields:
        rules = required_when[field["name"]]
        if any(not rule for rule in rules):
            field["required"] = True
        elif rules and all(rule == rules[0] for rule in rules) and rules[0]["field"] != field["name"]:
            field["required_if"] = dict(rules[0])
    materials: list[dict[str, Any]] = []
    materials_by_name: dict[str, dict[str, Any]] = {}
    for version in versions:
        code = version.matter.code
        always = not conditions.get(code)
        for material in version.materials.all():
            merged_material = materials_by_name.get(material.name)
            if merged_material is None:
                merged_material = {
                    "code": f"P{len(materials) + 1:02d}",
                    "name": material.name,
                    "required": False,
                    "sources": [],
                    "order": len(materials) + 1,
                }
                materials_by_name[material.name] = merged_material
                materials.append(merged_material)
            merged_material["sources"].append({"matter": code, "material": material.code})
            if material.required and always:
                merged_material["required"] = True
    return {"fields": fields, "field_maps": field_maps, "materials": materials}


# --- a package application's form ------------------------------------------------------------------------------------


def _item_matter_version(item: PackageItem) -> MatterVersion:
    version = item.matter.current_version
    if version is None:  # a matter in the catalogue always has one; guard the type for the checker
        raise ValidationFailed(_("The matter %(code)s has no published version.") % {"code": item.matter.code})
    return version


def _items(version: PackageVersion) -> list[PackageItem]:
    return list(version.items.select_related("matter__current_version").order_by("order", "id"))


def package_form_clean(*, version: PackageVersion, data: Any) -> dict[str, Any]:
    """The merged form's answers checked against the merged fields alone (types, required, required_if), cleaned.

    Unknown keys are refused; optional fields left empty are left out. Raises ValidationFailed naming each field.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(_("The form must be an object of field names and values."))
    definitions = {field["name"]: field for field in version.fields}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in definitions:
            errors[str(key)] = [_("This package's form has no such field.")]
    cleaned: dict[str, Any] = {}
    for name, field in definitions.items():
        value = data.get(name)
        if _is_empty(value):
            continue
        try:
            cleaned[name] = _clean_value(field, value)
        except ValidationError as exc:
            errors[name] = [str(m) for m in exc.messages]
    for name, field in definitions.items():
        if name in errors:
            continue
        needed = field.get("required") or (field.get("required_if") and condition_holds(field["required_if"], cleaned))
        missing = name not in cleaned or (
            field["type"] == "bool" and field.get("required") and cleaned[name] is not True
        )
        if needed and missing:
            errors[name] = [_("Please confirm this.") if field["type"] == "bool" else _("This field is required.")]
    if errors:
        raise ValidationFailed(_("Some answers in the form are not valid."), fields=errors)
    return cleaned


def package_items_needed(version: PackageVersion, form: dict[str, Any]) -> list[PackageItem]:
    """The bundled matters this (cleaned) merged form needs: those whose condition holds, and every matter one of
    them depends on (so no needed part ever waits for a part that was never started). In the version's order."""
    items = _items(version)
    by_code = {item.matter.code: item for item in items}
    needed: set[str] = set()
    pending = [item.matter.code for item in items if condition_holds(item.condition, form)]
    while pending:
        code = pending.pop()
        if code in needed or code not in by_code:
            continue
        needed.add(code)
        pending.extend(by_code[code].depends_on)
    return [item for item in items if item.matter.code in needed]


def package_form_validate(*, version: PackageVersion, data: Any) -> dict[str, dict[str, Any]]:
    """{matter code: that matter's cleaned form} for the matters this answer needs, or ValidationFailed.

    The merged answers are checked on the merged fields (package_form_clean), then once per needed matter with the
    matter's own rules under its own field names; an answer one matter refuses is reported on the package field,
    naming the matter ("出生登记: at most 20 characters"), so an answer fitting one matter's rule but not another's is a
    clear error on that field.
    """
    cleaned = package_form_clean(version=version, data=data)
    errors: dict[str, list[str]] = {}
    forms: dict[str, dict[str, Any]] = {}
    for item in package_items_needed(version, cleaned):
        matter_version = _item_matter_version(item)
        back = {matter_field: package_field for package_field, matter_field in item.field_map.items()}
        matter_data = {
            matter_field: data[package_field]
            for package_field, matter_field in item.field_map.items()
            if not _is_empty(data.get(package_field))
        }
        try:
            forms[item.matter.code] = matter_form_validate(version=matter_version, data=matter_data)
        except ValidationFailed as exc:
            for matter_field, messages in exc.fields.items():
                package_field = back.get(matter_field, matter_field)
                for message in messages:
                    text = f"{matter_version.name}: {message}"
                    if text not in errors.get(package_field, []):
                        errors.setdefault(package_field, []).append(text)
            if not exc.fields:
                errors.setdefault("form", []).append(f"{matter_version.name}: {exc.message}")
    if errors:
        raise ValidationFailed(_("Some answers in the form are not valid."), fields=errors)
    return forms


def package_materials_needed(
    version: PackageVersion, form: dict[str, Any], *, with_provided: bool = False
) -> list[dict[str, Any]]:
    """The merged materials this (cleaned) form asks of the applicant: [{"material": PackageMaterial, "required":
    bool, "matters": [codes of the needed matters it serves], "provided_by": {matter code: producing matter code}}], a
    material required when a needed matter requires it.

    A material a needed matter receives from the result of a part it depends on (`from_result_of` on its source, the
    producing matter needed too) is not asked of the applicant for that matter; a material every needed matter so
    receives is left out, unless `with_provided` (the guide lists it, saying which result provides it)."""
    needed = {item.matter.code: item for item in package_items_needed(version, form)}
    required_codes: dict[str, set[str]] = {}
    for code, item in needed.items():
        matter_version = _item_matter_version(item)
        required_codes[code] = {m.code for m in matter_version.materials.all() if m.required}
    result = []
    for material in version.materials.order_by("order", "code"):
        sources = [source for source in material.sources if source["matter"] in needed]
        if not sources:
            continue
        provided_by = {
            source["matter"]: source["from_result_of"] for source in sources if source.get("from_result_of") in needed
        }
        asked = [source for source in sources if source["matter"] not in provided_by]
        if not asked and not with_provided:
            continue
        required = any(source["material"] in required_codes.get(source["matter"], set()) for source in asked)
        result.append(
            {
                "material": material,
                "required": required,
                "matters": list(dict.fromkeys(source["matter"] for source in sources)),
                "provided_by": provided_by,
                "asked": bool(asked),
            }
        )
    return result


# --- versions --------------------------------------------------------------------------------------------------------


def _cycle(depends: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path ["A", "B", "A"], or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in depends.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt in depends and state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in depends:
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def _depends_closure(code: str, depends: dict[str, list[str]]) -> set[str]:
    """Every matter `code` depends on, directly or through others."""
    found: set[str] = set()
    todo = list(depends.get(code, []))
    while todo:
        nxt = todo.pop()
        if nxt not in found:
            found.add(nxt)
            todo.extend(depends.get(nxt, []))
    return found


def _producer_problem(
    matter: Any, producer: Any, depends: dict[str, list[str]], versions: dict[str, MatterVersion]
) -> str | None:
    """Why `producer`'s result cannot stand for a material of `matter`, or None: it must be a part `matter` depends
    on (directly or transitively), so its result exists when `matter` starts."""
    if not isinstance(producer, str) or producer not in versions:
        return _("Provided by the result of %(code)s, which is not a matter of this package.") % {
            "code": str(producer)[:64]
        }
    if matter not in versions:
        return None  # reported on its own
    if producer == matter or matter in _depends_closure(producer, depends):
        return _("%(matter)s cannot receive the result of %(producer)s: that would be a cycle.") % {
            "matter": versions[matter].name,
            "producer": versions[producer].name,
        }
    if producer not in _depends_closure(matter, depends):
        return _(
            "%(matter)s does not depend on %(producer)s, so its result does not exist yet when %(matter)s starts."
        ) % {"matter": versions[matter].name, "producer": versions[producer].name}
    return None


def package_version_check(
    *, attrs: dict[str, Any], items: list[dict[str, Any]], materials: list[dict[str, Any]]
) -> dict[str, list[str]]:
    """Problems of a package version's data, per key ("items.2", "materials.P01", "fields"); empty when fine.

    Shared by the publish service and the importer. On success `attrs["fields"]` is normalised and each item gets
    `_matter` (the Matter) for the caller.
    """
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        if message not in problems.get(key, []):
            problems.setdefault(key, []).append(message)

    name = attrs.get("name") or ""
    if not isinstance(name, str) or not name.strip():
        add("name", _("A name is required."))
    elif len(name) > 200 or validators.has_control_characters(name, allow_newlines=False):
        add("name", _("At most 200 characters, without control characters."))
    if attrs.get("life_event") not in LifeEvent.values:
        add("life_event", _("Unknown life event."))
    if not isinstance(attrs.get("lead_unit"), Unit):
        add("lead_unit", _("Unknown unit."))
    if validators.has_control_characters(str(attrs.get("description") or ""), allow_newlines=True):
        add("description", _("This text contains invisible control characters; please remove them."))
    promised = attrs.get("promised_limit_days")
    if not isinstance(promised, int) or isinstance(promised, bool) or not 0 <= promised <= 3650:
        add("promised_limit_days", _("Enter a whole number from 0 to 3650."))

    raw_fields = attrs.get("fields")
    rules: dict[str, Any] = {}
    fields: dict[str, dict[str, Any]] = {}
    if isinstance(raw_fields, list):
        plain = []
        for field in raw_fields:
            if isinstance(field, dict) and "required_if" in field:
                field = dict(field)
                rules[str(field.get("name"))] = field.pop("required_if")
            plain.append(field)
        try:
            checked = matter_fields_check(plain)
        except ValidationFailed as exc:
            for message in exc.fields.get("fields", [exc.message]):
                add("fields", str(message))
        else:
            fields = {field["name"]: field for field in checked}
            for field_name, rule in rules.items():
                if rule in (None, {}):
                    continue
                where = _("Field %(name)s") % {"name": field_name}
                for message in _condition_check(rule, fields, where):
                    add("fields", message)
                if isinstance(rule, dict) and rule.get("field") == field_name:
                    add("fields", _("%(where)s: a field cannot be required by its own answer.") % {"where": where})
                if field_name in fields and not _condition_check(rule, fields, where):
                    fields[field_name]["required_if"] = rule
            attrs["fields"] = list(fields.values())
    else:
        add("fields", _("Form fields must be a JSON list of field definitions."))

    if not isinstance(items, list) or not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        add("items", _("A package bundles %(low)d to %(high)d matters.") % {"low": MIN_ITEMS, "high": MAX_ITEMS})
        items = items if isinstance(items, list) else []
    codes = [str(item.get("matter") or "") if isinstance(item, dict) else "" for item in items]
    matters = {
        m.code: m
        for m in Matter.objects.filter(code__in=[c for c in codes if c], is_active=True).select_related(
            "current_version"
        )
    }
    versions: dict[str, MatterVersion] = {}
    seen: set[str] = set()
    used_fields: set[str] = set()
    for row, item in enumerate(items, start=1):
        key = f"items.{row}"
        if not isinstance(item, dict):
            add(key, _("Row %(row)d: must be an object.") % {"row": row})
            continue
        code = codes[row - 1]
        matter = matters.get(code)
        if matter is None or matter.current_version is None or not matter.current_version.is_published:
            add(key, _("Row %(row)d: there is no matter with the code %(code)s.") % {"row": row, "code": code or "—"})
            continue
        if code in seen:
            add(key, _("Row %(row)d: the matter %(code)s is bundled twice.") % {"row": row, "code": code})
        seen.add(code)
        item["_matter"] = matter
        versions[code] = matter.current_version
        for message in _condition_check(item.get("condition") or {}, fields, _("Row %(row)d") % {"row": row}):
            add(key, message)
        field_map = item.get("field_map")
        if not isinstance(field_map, dict):
            add(key, _("Row %(row)d: the field mapping must be an object.") % {"row": row})
            continue
        matter_fields = {field["name"]: field for field in matter.current_version.fields}
        for package_field, matter_field in field_map.items():
            used_fields.add(package_field)
            merged = fields.get(package_field)
            target = matter_fields.get(matter_field) if isinstance(matter_field, str) else None
            if merged is None:
                add(
                    key,
                    _("Row %(row)d: the merged form has no field %(field)s.") % {"row": row, "field": package_field},
                )
            elif target is None:
                add(
                    key,
                    _("Row %(row)d: the matter %(matter)s has no field %(field)s.")
                    % {"row": row, "matter": matter.name, "field": matter_field},
                )
            elif merged["type"] != target["type"]:
                add(
                    "fields",
                    _("Field %(field)s is of type %(type)s but %(matter)s's field %(target)s is %(target_type)s.")
                    % {
                        "field": package_field,
                        "type": merged["type"],
                        "matter": matter.name,
                        "target": matter_field,
                        "target_type": target["type"],
                    },
                )
            elif merged["type"] == "choice" and not set(merged["choices"]) <= set(target["choices"]):
                extra = "、".join(c for c in merged["choices"] if c not in target["choices"])
                add(
                    "fields",
                    _("Field %(field)s offers %(extra)s, which %(matter)s's field %(target)s does not accept.")
                    % {"field": package_field, "extra": extra, "matter": matter.name, "target": matter_field},
                )
        mapped = set(field_map.values())
        for matter_field in matter_fields:
            if matter_field not in mapped:
                add(
                    key,
                    _("Row %(row)d: the matter's field %(field)s is not mapped to a field of the merged form.")
                    % {"row": row, "field": matter_field},
                )
        if len(mapped) != len(field_map):
            add(key, _("Row %(row)d: two package fields map to one field of the matter.") % {"row": row})
    # A field no matter uses is only allowed as a question that decides which matters are needed.
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("condition"), dict):
            used_fields.add(item["condition"].get("field"))
    for field in fields.values():
        if field.get("required_if"):
            used_fields.add(field["required_if"]["field"])
    for field_name in fields:
        if field_name not in used_fields:
            add("fields", _("Field %(name)s is used by no matter.") % {"name": field_name})

    # Dependencies: on matters of this package only, and never in a circle.
    depends: dict[str, list[str]] = {}
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict) or codes[row - 1] not in versions:
            continue
        key = f"items.{row}"
        wanted = item.get("depends_on") or []
        if not isinstance(wanted, list) or not all(isinstance(code, str) for code in wanted):
            add(key, _("Row %(row)d: depends on must be a list of matter codes.") % {"row": row})
            continue
        for code in wanted:
            if code == codes[row - 1]:
                add(key, _("Row %(row)d: a matter cannot depend on itself.") % {"row": row})
            elif code not in seen:
                add(
                    key,
                    _("Row %(row)d: depends on %(code)s, which is not a matter of this package.")
                    % {"row": row, "code": code},
                )
        depends[codes[row - 1]] = [code for code in wanted if code in seen and code != codes[row - 1]]
    cycle = _cycle(depends)
    if cycle:
        names = " → ".join(versions[code].name for code in cycle)
        add("items", _("The dependencies form a cycle: %(cycle)s.") % {"cycle": names})

    # Materials: each stands for materials the matters have; every material a matter requires is collected.
    material_codes: set[str] = set()
    covered: set[tuple[str, str]] = set()
    if not isinstance(materials, list):
        add("materials", _("Materials must be a list."))
        materials = []
    for position, material in enumerate(materials, start=1):
        if not isinstance(material, dict):
            add(f"materials.{position}", _("A material must be an object."))
            continue
        code = str(material.get("code") or "")
        key = f"materials.{code or position}"
        if not code or len(code) > 32 or validators.has_control_characters(code, allow_newlines=False):
            add(key, _("A material needs a code of at most 32 characters."))
        elif code in material_codes:
            add(key, _("The material code %(code)s is used twice.") % {"code": code})
        material_codes.add(code)
        material_name = material.get("name")
        if not isinstance(material_name, str) or not material_name.strip() or len(material_name) > 200:
            add(key, _("A material needs a name."))
        elif validators.has_control_characters(material_name, allow_newlines=False):
            add(key, _("This text contains invisible control characters; please remove them."))
        if not isinstance(material.get("required", True), bool):
            add(key, _("Required must be true or false."))
        sources = material.get("sources")
        if not isinstance(sources, list) or not sources:
            add(key, _("A merged material stands for at least one material of a matter."))
            continue
        for source in sources:
            if not isinstance(source, dict) or not {"matter", "material"} <= set(source) <= SOURCE_KEYS:
                add(key, _('Each source is {"matter": code, "material": code}, optionally "from_result_of": code.'))
                continue
            producer = source.get("from_result_of")
            if producer is not None:
                problem = _producer_problem(source["matter"], producer, depends, versions)
                if problem:
                    add(key, problem)
            version = versions.get(source["matter"])
            if version is None:
                add(
                    key,
                    _("Stands for a material of %(code)s, which is not a matter of this package.")
                    % {"code": source["matter"]},
                )
                continue
            if not any(m.code == source["material"] for m in version.materials.all()):
                add(
                    key,
                    _("The matter %(matter)s has no material %(material)s.")
                    % {"matter": version.name, "material": source["material"]},
                )
            pair = (source["matter"], source["material"])
            if pair in covered:
                add(
                    key,
                    _("The material %(material)s of %(matter)s is collected twice.")
                    % {"material": source["material"], "matter": version.name},
                )
            covered.add(pair)
    if "materials" not in problems and not any(key.startswith("materials.") for key in problems):
        for code, version in versions.items():
            for m in version.materials.all():
                if m.required and (code, m.code) not in covered:
                    add(
                        "materials",
                        _("The material %(material)s that %(matter)s requires is not collected.")
                        % {"material": m.name, "matter": version.name},
                    )
    return problems


@dataclass
class PackagePublishResult:
    version: PackageVersion
    created: bool  # False: the data equalled the current version, no version written
    activity_changed: bool = False  # switched on or off (no new version: its rules did not change)


def _item_normalise(item: dict[str, Any], position: int) -> dict[str, Any]:
    return {
        "matter": str(item.get("matter") or "").strip(),
        "order": item.get("order", position) if isinstance(item.get("order", position), int) else position,
        "depends_on": item.get("depends_on") or [],
        "condition": item.get("condition") or {},
        "field_map": item.get("field_map") if item.get("field_map") is not None else {},
    }


def _material_normalise(material: dict[str, Any], position: int) -> dict[str, Any]:
    if not isinstance(material, dict):
        return material
    return {
        "code": str(material.get("code") or "").strip(),
        "name": material.get("name") or "",
        "required": material.get("required", True),
        "sources": material.get("sources") or [],
        "order": material.get("order", position) if isinstance(material.get("order", position), int) else position,
    }


def package_version_snapshot(version: PackageVersion) -> dict[str, Any]:
    """A version as plain data, in the shape package_version_publish takes (`lead_unit` a unit code)."""
    return {
        "attrs": {
            "name": version.name,
            "life_event": version.life_event,
            "lead_unit": version.lead_unit.code,
            "description": version.description,
            "promised_limit_days": version.promised_limit_days,
            "fields": version.fields,
        },
        "items": [
            {key: getattr(item, key) if key != "matter" else item.matter.code for key in ITEM_KEYS}
            for item in version.items.select_related("matter").order_by("order", "id")
        ],
        "materials": [
            {key: getattr(m, key) for key in MATERIAL_KEYS} for m in version.materials.order_by("order", "code")
        ],
    }


@transaction.atomic
def package_version_publish(
    *,
    code: str,
    attrs: dict[str, Any],
    items: list[dict[str, Any]],
    materials: list[dict[str, Any]],
    acting_user: Any = None,
    is_active: bool = True,
) -> PackagePublishResult:
    """Make the data the current published version of the package `code` (version n+1), creating the package if new.

    `attrs` holds VERSION_ATTRS (`lead_unit` a Unit); `items` [{"matter": code, "depends_on", "condition",
    "field_map", "order"}]; `materials` [{"code", "name", "required", "sources", "order"}]. Data equal to the current
    version writes nothing (re-imports are idempotent). ValidationFailed names every problem by its key.
    """
    code = (code or "").strip() if isinstance(code, str) else ""
    if not code or len(code) > 64 or validators.has_control_characters(code, allow_newlines=False):
        raise ValidationFailed(_("A package needs a code of at most 64 characters."), fields={"code": [_("Required.")]})
    defaults: dict[str, Any] = {"description": "", "promised_limit_days": 0, "fields": []}
    attrs = {key: attrs[key] if attrs.get(key) is not None else defaults.get(key) for key in VERSION_ATTRS}
    if isinstance(attrs.get("name"), str):
        attrs["name"] = validators.clean_text(attrs["name"])
    items = [
        _item_normalise(item, position) if isinstance(item, dict) else item
        for position, item in enumerate(items, start=1)
    ]
    materials = [_material_normalise(m, position) for position, m in enumerate(materials, start=1)]
    problems = package_version_check(attrs=attrs, items=items, materials=materials)
    if problems:
        raise ValidationFailed(_("The package %(code)s is not valid.") % {"code": code}, fields=problems)
    package, created = Package.objects.select_for_update().get_or_create(
        code=code, defaults={"name": attrs["name"], "lead_unit": attrs["lead_unit"], "life_event": attrs["life_event"]}
    )
    current = package.current_version
    wanted = {
        "attrs": {**attrs, "lead_unit": attrs["lead_unit"].code},
        "items": [{key: item["_matter"].code if key == "matter" else item[key] for key in ITEM_KEYS} for item in items],
        "materials": [{key: m[key] for key in MATERIAL_KEYS} for m in materials],
    }
    if current is not None and not created and package_version_snapshot(current) == wanted:
        if package.is_active != is_active:
            package.is_active = is_active
            package.save(update_fields=["is_active"])
            audit_append(
                action="package.activate" if is_active else "package.deactivate",
                actor=acting_user,
                object_type="package",
                object_id=package.code,
                from_state="inactive" if is_active else "active",
                to_state="active" if is_active else "inactive",
            )
            return PackagePublishResult(version=current, created=False, activity_changed=True)
        return PackagePublishResult(version=current, created=False)
    last = package.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = PackageVersion.objects.create(
        package=package,
        version=last + 1,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        is_published=True,
        **attrs,
    )
    PackageItem.objects.bulk_create(
        PackageItem(
            version=version,
            matter=item["_matter"],
            order=item["order"],
            depends_on=item["depends_on"],
            condition=item["condition"],
            field_map=item["field_map"],
        )
        for item in items
    )
    PackageMaterial.objects.bulk_create(PackageMaterial(version=version, **m) for m in materials)
    previous = current.version if current else None
    package.current_version = version
    package.name = version.name
    package.pinyin_initials = pinyin_initials(version.name)
    package.life_event = version.life_event
    package.lead_unit = version.lead_unit
    package.is_active = is_active
    package.save(update_fields=["current_version", "name", "pinyin_initials", "life_event", "lead_unit", "is_active"])
    audit_append(
        action="package.version_publish",
        actor=acting_user,
        object_type="package",
        object_id=package.code,
        from_state=f"v{previous}" if previous else "",
        to_state=f"v{version.version}",
        note=version.name,
    )
    return PackagePublishResult(version=version, created=True)

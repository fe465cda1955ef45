"""Writes of the matter catalogue: new versions, and checking an application's form against a version's fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from govdesk.audit.services import audit_append
from govdesk.common import validators
from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Unit

from .models import FIELD_TYPES, FREE_OF_CHARGE, MaterialForm, Matter, MatterMaterial, MatterType, MatterVersion

FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELD_KEYS = frozenset({"name", "label", "type", "required", "choices", "max_length", "pattern", "help"})
# Lengths a field gets when its definition does not set one: enough for a company name, a paragraph.
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000}
MAX_FIELDS = 50
TRUE_WORDS = frozenset({"true", "1", "on", "yes", "是"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", "否"})

# What a version holds besides its materials: compared to tell a real edit from an unchanged re-import.
VERSION_ATTRS = (
    "name",
    "type",
    "unit",
    "legal_basis",
    "conditions",
    "legal_limit_days",
    "promised_limit_days",
    "instant",
    "visits",
    "fee",
    "fields",
)
MATERIAL_ATTRS = ("code", "name", "form", "copies", "required", "source", "sample", "order")


def pinyin_initials(name: str) -> str:
    """ "营业执照设立登记" -> "yyzzsldj"; letters and digits in the name are kept, punctuation dropped."""
    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))
    return "".join(ch for ch in letters.lower() if ch.isascii() and ch.isalnum())[:200]


# --- field definitions -----------------------------------------------------------------------------------------------


def matter_fields_check(fields: Any) -> list[dict[str, Any]]:
    """A version's form definition, normalised, or ValidationFailed naming each bad field definition.

    Checked where definitions come in (admin, import), so that an application form never meets a broken rule.
    """
    if not isinstance(fields, list):
        raise ValidationFailed(_("Form fields must be a JSON list of field definitions."))
    if len(fields) > MAX_FIELDS:
        raise ValidationFailed(_("A matter has at most %(count)d form fields.") % {"count": MAX_FIELDS})
    problems: list[str] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, field in enumerate(fields, start=1):
        where = _("Field %(number)d") % {"number": position}
        if not isinstance(field, dict):
            problems.append(_("%(where)s: must be an object.") % {"where": where})
            continue
        unknown = sorted(set(field) - FIELD_KEYS)
        if unknown:
            problems.append(_("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)})
        name = field.get("name")
        if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
            problems.append(
                _("%(where)s: the name must be lowercase letters, digits and _, starting with a letter.")
                % {"where": where}
            )
            continue
        where = _("Field %(name)s") % {"name": name}
        if name in seen:
            problems.append(_("%(where)s: the name is used twice.") % {"where": where})
        seen.add(name)
        label = validators.clean_text(field.get("label") or "") if isinstance(field.get("label"), str) else ""
        if not label:
            problems.append(_("%(where)s: a label is required.") % {"where": where})
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            problems.append(
                _("%(where)s: the type must be one of %(types)s.") % {"where": where, "types": ", ".join(FIELD_TYPES)}
            )
            continue
        required = field.get("required", False)
        if not isinstance(required, bool):
            problems.append(_("%(where)s: required must be true or false.") % {"where": where})
        choices = field.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
            problems.append(_("%(where)s: choices must be a list of texts.") % {"where": where})
            choices = []
        if kind == "choice" and not choices:
            problems.append(_("%(where)s: a choice field needs at least one choice.") % {"where": where})
        if kind != "choice" and choices:
            problems.append(_("%(where)s: only a choice field has choices.") % {"where": where})
        item: dict[str, Any] = {
            "name": name,
            "label": label,
            "type": kind,
            "required": required is True,
            "choices": [c.strip() for c in choices],
        }
        if "max_length" in field:
            max_length = field["max_length"]
            if kind not in DEFAULT_MAX_LENGTH:
                problems.append(_("%(where)s: only text fields have a maximum length.") % {"where": where})
            elif not isinstance(max_length, int) or isinstance(max_length, bool) or not 1 <= max_length <= 10000:
                problems.append(_("%(where)s: the maximum length must be 1 to 10000.") % {"where": where})
            else:
                item["max_length"] = max_length
        if "pattern" in field:
            pattern = field["pattern"]
            if kind not in DEFAULT_MAX_LENGTH:
                problems.append(_("%(where)s: only text fields have a pattern.") % {"where": where})
            else:
                try:
                    re.compile(pattern if isinstance(pattern, str) else "(")
                    item["pattern"] = pattern
                except re.error:
                    problems.append(_("%(where)s: the pattern is not a valid regular expression.") % {"where": where})
        if "help" in field:
            if not isinstance(field["help"], str):
                problems.append(_("%(where)s: the help must be a text.") % {"where": where})
            else:
                item["help"] = validators.clean_text(field["help"])
        cleaned.append(item)
    if problems:
        raise ValidationFailed(_("The form fields are not valid."), fields={"fields": problems})
    return cleaned


# --- an application's form -------------------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not validators.clean_text(value))


def _clean_value(field: dict[str, Any], value: Any) -> Any:
    """One value, cleaned to what is stored, or ValidationError with a message for the person filling the form."""
    kind = field["type"]
    if kind in ("text", "textarea"):
        if not isinstance(value, str):
            raise ValidationError(_("Enter a text."))
        text = validators.clean_text(value)
        if kind == "text":
            validators.validate_no_control_characters(text)
        else:
            validators.validate_multiline_text(text)
        limit = field.get("max_length") or DEFAULT_MAX_LENGTH[kind]
        if len(text) > limit:
            raise ValidationError(
                _("At most %(limit)d characters (now %(length)d).") % {"limit": limit, "length": len(text)}
            )
        pattern = field.get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            raise ValidationError(_("This value does not have the required format."))
        return text
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        validators.validate_supported_date(day)
        return day.isoformat()
    if kind == "choice":
        if not isinstance(value, str) or value.strip() not in field["choices"]:
            raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": "、".join(field["choices"])})
        return value.strip()
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, (str, int)) else ""
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError(_("Answer yes or no."))
    if kind == "phone":
        if not isinstance(value, str):
            raise ValidationError(_("Enter a phone number."))
        validators.validate_phone(value)
        return validators.normalize_phone(value)
    # id_number
    if not isinstance(value, str):
        raise ValidationError(_("Enter an ID number."))
    validators.validate_id_number(value)
    return value.strip().upper()


def matter_form_validate(*, version: MatterVersion, data: dict[str, Any]) -> dict[str, Any]:
    """An application's form answers checked against the version's fields, cleaned for storing.

    Unknown keys are refused (a client that sends them has the wrong version). A required bool must be true: it is a
    declaration the applicant confirms (e.g. 承诺所填信息真实). Optional fields left empty are left out.
    Raises ValidationFailed with one Chinese message per bad field.
    """
    if not isinstance(data, dict):
        raise ValidationFailed(_("The form must be an object of field names and values."))
    definitions = {field["name"]: field for field in version.fields}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in definitions:
            errors[str(key)] = [_("This matter's form has no such field.")]
    cleaned: dict[str, Any] = {}
    for name, field in definitions.items():
        value = data.get(name)
        if _is_empty(value) or (field["type"] == "bool" and field["required"] and value is False):
            if field["required"]:
                errors[name] = [_("Please confirm this.") if field["type"] == "bool" else _("This field is required.")]
            continue
        try:
            cleaned[name] = _clean_value(field, value)
        except ValidationError as exc:
            errors[name] = [str(m) for m in exc.messages]
            continue
        if field["type"] == "bool" and field["required"] and cleaned[name] is not True:
            errors[name] = [_("Please confirm this.")]
    if errors:
        raise ValidationFailed(_("Some answers in the form are not valid."), fields=errors)
    return cleaned


# --- versions --------------------------------------------------------------------------------------------------------


@dataclass
class PublishResult:
    version: MatterVersion
    created: bool  # False: the data equalled the current version, no version written
    activity_changed: bool = False  # the matter was switched on or off (no new version: its rules did not change)


def _version_snapshot(version: MatterVersion) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    attrs = {key: getattr(version, "unit_id" if key == "unit" else key) for key in VERSION_ATTRS}
    materials = [{key: getattr(m, key) for key in MATERIAL_ATTRS} for m in version.materials.all()]
    return attrs, sorted(materials, key=lambda m: (m["order"], m["code"]))


def matter_version_check(*, attrs: dict[str, Any], materials: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Problems of a version's data, per attribute (empty when fine). Shared by the publish service and the importer."""
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        problems.setdefault(key, []).append(message)

    for key in ("name", "fee"):
        if isinstance(attrs.get(key), str) and validators.has_control_characters(attrs[key], allow_newlines=False):
            add(key, _("This text contains invisible control characters; please remove them."))
    for key in ("legal_basis", "conditions"):
        if isinstance(attrs.get(key), str) and validators.has_control_characters(attrs[key], allow_newlines=True):
            add(key, _("This text contains invisible control characters; please remove them."))
    name = attrs.get("name") or ""
    if not name:
        add("name", _("A name is required."))
    elif len(name) > 200:
        add("name", _("At most %(limit)d characters.") % {"limit": 200})
    if attrs.get("type") not in MatterType.values:
        add("type", _("Unknown matter type."))
    if not isinstance(attrs.get("unit"), Unit):
        add("unit", _("Unknown unit."))
    legal, promised = attrs.get("legal_limit_days"), attrs.get("promised_limit_days")
    for key, value in (("legal_limit_days", legal), ("promised_limit_days", promised), ("visits", attrs.get("visits"))):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
            add(key, _("Enter a whole number from 0 to 3650."))
    if isinstance(legal, int) and isinstance(promised, int) and promised > legal:
        # The promise shortens the statutory limit (承诺时限 ≤ 法定时限); it can never exceed it.
        add("promised_limit_days", _("The promised limit cannot exceed the legal limit."))
    if attrs.get("instant") and promised not in (0, None):
        add("promised_limit_days", _("A matter handled on the spot has a promised limit of 0 days."))
    if not attrs.get("fee"):
        add("fee", _("Enter the fee, or that there is none."))
    try:
        attrs["fields"] = matter_fields_check(attrs.get("fields", []))
    except ValidationFailed as exc:
        for message in exc.fields.get("fields", [exc.message]):
            add("fields", str(message))
    codes: set[str] = set()
    for position, material in enumerate(materials, start=1):
        key = f"materials.{material.get('code') or position}"
        code = material.get("code") or ""
        if not code or len(code) > 32:
            add(key, _("A material needs a code of at most 32 characters."))
        elif code in codes:
            add(key, _("The material code %(code)s is used twice.") % {"code": code})
        codes.add(code)
        if not material.get("name"):
            add(key, _("A material needs a name."))
        texts = [(str(material.get(k) or ""), k == "sample") for k in ("code", "name", "source", "sample")]
        if any(validators.has_control_characters(text, allow_newlines=multiline) for text, multiline in texts):
            add(key, _("This text contains invisible control characters; please remove them."))
        if material.get("form") not in MaterialForm.values:
            add(key, _("The form must be original, copy or original_and_copy."))
        copies = material.get("copies")
        if not isinstance(copies, int) or isinstance(copies, bool) or not 0 <= copies <= 99:
            add(key, _("Copies must be a whole number from 0 to 99."))
    return problems


def _material_normalise(material: dict[str, Any], position: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"source": "", "sample": "", "required": True, "copies": 1, "order": position}
    return {key: material.get(key, defaults.get(key)) for key in MATERIAL_ATTRS}


@transaction.atomic
def matter_version_publish(
    *,
    code: str,
    attrs: dict[str, Any],
    materials: list[dict[str, Any]],
    acting_user: Any = None,
    is_active: bool = True,
) -> PublishResult:
    """Make `attrs` + `materials` the current published version of the matter `code`, creating the matter if new.

    `attrs` holds VERSION_ATTRS (`unit` a Unit). Data equal to the current version writes nothing (re-imports are
    idempotent); otherwise a new version is added and the old ones stay, so applications keep the rules they were
    accepted under.
    """
    code = (code or "").strip()
    if not code or len(code) > 64 or validators.has_control_characters(code, allow_newlines=False):
        raise ValidationFailed(_("A matter needs a code of at most 64 characters."), fields={"code": [_("Required.")]})
    defaults: dict[str, Any] = {
        "legal_basis": "",
        "conditions": "",
        "instant": False,
        "visits": 1,
        "fee": FREE_OF_CHARGE,
        "fields": [],
    }
    attrs = {key: attrs[key] if attrs.get(key) is not None else defaults.get(key) for key in VERSION_ATTRS}
    materials = [_material_normalise(m, position) for position, m in enumerate(materials)]
    problems = matter_version_check(attrs=attrs, materials=materials)
    if problems:
        raise ValidationFailed(_("The matter %(code)s is not valid.") % {"code": code}, fields=problems)
    matter, matter_created = Matter.objects.select_for_update().get_or_create(
        code=code, defaults={"name": attrs["name"], "unit": attrs["unit"], "is_active": is_active}
    )
    current = matter.current_version
    if current is not None and not matter_created:
        wanted = ({**attrs, "unit": attrs["unit"].pk}, sorted(materials, key=lambda m: (m["order"], m["code"])))
        if _version_snapshot(current) == wanted:
            if matter.is_active == is_active:
                return PublishResult(version=current, created=False)
            matter.is_active = is_active
            matter.save(update_fields=["is_active"])
            audit_append(
                action="matter.activate" if is_active else "matter.deactivate",
                actor=acting_user,
                object_type="matter",
                object_id=matter.code,
                from_state="inactive" if is_active else "active",
                to_state="active" if is_active else "inactive",
            )
            return PublishResult(version=current, created=False, activity_changed=True)
    last = matter.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = MatterVersion.objects.create(
        matter=matter,
        version=last + 1,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        is_published=True,
        **attrs,
    )
    MatterMaterial.objects.bulk_create(MatterMaterial(version=version, **m) for m in materials)
    matter_version_activate(version=version, acting_user=acting_user, is_active=is_active)
    return PublishResult(version=version, created=True)


@transaction.atomic
def matter_version_activate(*, version: MatterVersion, acting_user: Any = None, is_active: bool = True) -> Matter:
    """Make a saved version the matter's current one: publish it and copy its name and unit onto the matter."""
    matter = Matter.objects.select_for_update().get(pk=version.matter_id)
    previous = matter.current_version.version if matter.current_version else None
    if not version.is_published:
        version.is_published = True
        version.save(update_fields=["is_published"])
    matter.current_version = version
    matter.name = version.name
    matter.pinyin_initials = pinyin_initials(version.name)
    matter.unit = version.unit
    matter.is_active = is_active
    matter.save(update_fields=["current_version", "name", "pinyin_initials", "unit", "is_active"])
    audit_append(
        action="matter.version_publish",
        actor=acting_user,
        object_type="matter",
        object_id=matter.code,
        from_state=f"v{previous}" if previous else "",
        to_state=f"v{version.version}",
        note=version.name,
    )
    return matter

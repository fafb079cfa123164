"""Fixtures: the accounts, signatures and templates the emulated providers know about.

A fixtures directory holds up to four YAML files (`accounts.yaml`, `signs.yaml`, `templates.yaml`,
`onecloud.yaml`). Each file a user's directory does not provide comes from the built-in defaults, so a
project can override only its accounts and keep the stock templates. Every file is validated against a JSON
Schema at start; an error names the file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from emulator.core.yamlsource import YamlDocument, load_yaml, schema_errors

FIXTURE_FILES = ("accounts.yaml", "signs.yaml", "templates.yaml", "onecloud.yaml")

_STATUS = {"type": "string", "enum": ["approved", "pending", "rejected", "disabled", "cancelled"]}
_URL = {"type": ["string", "null"]}
_LIMIT_WINDOWS = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {w: {"type": ["integer", "null"], "minimum": 0} for w in ("minute", "hour", "day")},
}
#: An account's frequency control and switched-on functions, as accounts.yaml and the admin API take them.
LIMITS_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "verification": _LIMIT_WINDOWS, "notification": _LIMIT_WINDOWS,
    "dypns_daily": {"type": ["integer", "null"], "minimum": 0}}}
FUNCTIONS_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "dypns_verify": {"type": "boolean"}, "card_sms": {"type": "boolean"}}}

SCHEMAS: dict[str, dict[str, Any]] = {
    "accounts.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["accounts"],
        "properties": {"accounts": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "access_keys": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["id", "secret"],
                    "properties": {"id": {"type": "string", "minLength": 1},
                                   "secret": {"type": "string", "minLength": 1},
                                   "enabled": {"type": "boolean"}}}},
                "balance": {"type": ["integer", "null"], "minimum": 0},
                "qps": {"type": ["integer", "null"], "minimum": 1},
                "functions": FUNCTIONS_SCHEMA,
                "limits": LIMITS_SCHEMA,
                "receipts": {"type": "object", "additionalProperties": False, "properties": {
                    "sms_report": _URL, "sms_up": _URL, "dypns_report": _URL, "template_report": _URL,
                    "sign_report": _URL}},
                "onecloud": {"type": "object", "additionalProperties": False, "properties": {
                    "app_secret": {"type": "string", "minLength": 1}, "return_url": _URL}},
                "sts": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["access_key_id", "access_key_secret", "security_token"],
                    "properties": {"access_key_id": {"type": "string", "minLength": 1},
                                   "access_key_secret": {"type": "string", "minLength": 1},
                                   "security_token": {"type": "string", "minLength": 1},
                                   "expires_at": {"type": ["number", "null"]}}}},
            }}}},
    },
    "signs.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["signs"],
        "properties": {"signs": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1},
                           "status": _STATUS,
                           "scene": {"type": "string", "enum": ["verification", "general"]},
                           "provider": {"type": "string", "enum": ["dysms", "dypns"]},
                           "created": {"type": "string"}}}}},
    },
    "templates.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["templates"],
        "properties": {"templates": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["code", "content"],
            "properties": {"code": {"type": "string", "minLength": 1},
                           "name": {"type": "string"},
                           "provider": {"type": "string", "enum": ["dysms", "dypns"]},
                           "type": {"type": "string", "enum": ["verification", "notification", "promotion",
                                                               "international", "card", "digital"]},
                           "content": {"type": "string"},
                           "status": _STATUS,
                           "max_param_length": {"type": "integer", "minimum": 1},
                           "created": {"type": "string"}}}}},
    },
    "onecloud.yaml": {
        "type": "object",
        "additionalProperties": False,
        "required": ["templates"],
        "properties": {"templates": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "content"],
            "properties": {"id": {"type": ["string", "integer"]}, "content": {"type": "string"}}}}},
    },
}


class FixtureError(ValueError):
    """A fixtures file that cannot be used; the message is ready to print as one line per problem."""


@dataclass(frozen=True)
class Sign:
    name: str
    status: str = "approved"
    scene: str = "general"
    provider: str = "dysms"
    created: str = "2024-01-01 00:00:00"
    source: int = 0
    qualification_id: int = 0
    third_party: bool = False
    apply_scene: str = ""
    #: review state (set at run time by the catalogue): rejection reason, review date, order, submission time
    reason: str = ""
    audit_date: str = ""
    order_id: str = ""
    submitted: float = 0.0
    remark: str = ""

    @property
    def usable(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class Template:
    code: str
    content: str
    name: str = ""
    provider: str = "dysms"
    type: str = "notification"
    status: str = "approved"
    max_param_length: int = 35
    created: str = "2024-01-01 00:00:00"
    related_sign: str = ""
    variable_rule: str = ""
    apply_scene: str = ""
    #: review state (set at run time by the catalogue): rejection reason, review date, order, submission time
    reason: str = ""
    audit_date: str = ""
    order_id: str = ""
    submitted: float = 0.0
    remark: str = ""

    @property
    def usable(self) -> bool:
        return self.status == "approved"


@dataclass
class Fixtures:
    accounts: list[dict[str, Any]]
    signs: dict[tuple[str, str], Sign] = field(default_factory=dict)          # (provider, name)
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)  # (provider, code)
    onecloud_templates: dict[str, str] = field(default_factory=dict)

    def sign(self, provider: str, name: str) -> Sign | None:
        return self.signs.get((provider, name))

    def template(self, provider: str, code: str) -> Template | None:
        return self.templates.get((provider, code))


def builtin_fixtures_dir() -> Path:
    """The packaged defaults: `emulator/_builtin/fixtures` in a wheel, the repo's `fixtures/` in a checkout."""
    packaged = resources.files("emulator") / "_builtin" / "fixtures"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "fixtures"


def load_fixtures(directory: str | Path | None = None) -> Fixtures:
    docs: dict[str, YamlDocument] = {}
    errors: list[str] = []
    user_dir = Path(directory) if directory is not None else None
    if user_dir is not None and not user_dir.is_dir():
        raise FixtureError(f"fixtures directory {user_dir} does not exist")
    for name in FIXTURE_FILES:
        path = user_dir / name if user_dir is not None and (user_dir / name).is_file() else None
        if path is None:
            path = builtin_fixtures_dir() / name
        try:
            doc = load_yaml(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot read: {exc}")
            continue
        except ValueError as exc:
            errors.append(str(exc))
            continue
        # The built-in files are schema-checked by the test suite; skipping them here keeps jsonschema's
        # import (a third of start-up time) off the default start.
        problems = [] if path.parent == builtin_fixtures_dir() else schema_errors(doc, SCHEMAS[name])
        errors.extend(problems)
        if not problems:
            docs[name] = doc
    if not errors:
        errors.extend(_cross_check(docs))
    if errors:
        raise FixtureError("\n".join(errors))
    return _build(docs)


def _cross_check(docs: dict[str, YamlDocument]) -> list[str]:
    """Rules a schema cannot express: unique names, unique keys and secrets across accounts."""
    errors = []
    accounts = docs["accounts.yaml"]
    seen_names: set[str] = set()
    seen_keys: set[str] = set()
    seen_secrets: set[str] = set()
    for i, account in enumerate(accounts.data["accounts"]):
        if account["name"] in seen_names:
            errors.append(f"{accounts.where(['accounts', i, 'name'])}: duplicate account name {account['name']!r}")
        seen_names.add(account["name"])
        for j, key in enumerate(account.get("access_keys", [])):
            if key["id"] in seen_keys:
                errors.append(f"{accounts.where(['accounts', i, 'access_keys', j, 'id'])}: "
                              f"AccessKeyId {key['id']!r} is used by two accounts")
            seen_keys.add(key["id"])
        secret = (account.get("onecloud") or {}).get("app_secret")
        if secret:
            if secret in seen_secrets:
                errors.append(f"{accounts.where(['accounts', i, 'onecloud', 'app_secret'])}: "
                              "AppSecret is used by two accounts")
            seen_secrets.add(secret)
    for file, key, field_name in (("signs.yaml", "signs", "name"), ("templates.yaml", "templates", "code")):
        doc = docs[file]
        seen: set[tuple[str, str]] = set()
        for i, item in enumerate(doc.data[key]):
            ident = (item.get("provider", "dysms"), item[field_name])
            if ident in seen:
                errors.append(f"{doc.where([key, i, field_name])}: duplicate {field_name} {ident[1]!r}")
            seen.add(ident)
    return errors


def _build(docs: dict[str, YamlDocument]) -> Fixtures:
    fixtures = Fixtures(accounts=docs["accounts.yaml"].data["accounts"])
    for item in docs["signs.yaml"].data["signs"]:
        sign = Sign(**item)
        fixtures.signs[(sign.provider, sign.name)] = sign
    for item in docs["templates.yaml"].data["templates"]:
        template = Template(**item)
        fixtures.templates[(template.provider, template.code)] = template
    for item in docs["onecloud.yaml"].data["templates"]:
        fixtures.onecloud_templates[str(item["id"])] = item["content"]
    return fixtures

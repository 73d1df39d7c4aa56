"""The body schemas of the OpenAPI document, as strict as the validators behind them.

The pydantic models give the shapes; the rules the services check beyond them are added here
from the same definitions: the patterns of ``domain.patterns`` (names, versions, references,
digests, tags, licenses, annotation keys), and, for a version document, the JSON Schema of its
kind's spec (``assets/schemas/*.json``), so that a document is described per kind.
"""

from __future__ import annotations

import copy
from typing import Any

from llm_registry.accounts.users import RESERVED_USERNAMES
from llm_registry.assets.models import MAX_CARD
from llm_registry.assets.validation import spec_schema
from llm_registry.domain import patterns
from llm_registry.domain.kinds import Kind
from llm_registry.domain.references import REFERENCE_PATTERN

Schema = dict[str, Any]


def pattern(rule: str) -> Schema:
    """A string schema matching the domain's ``rule`` (one of ``domain.patterns``)."""
    return {"type": "string", "pattern": patterns.anchored(rule)}


_TAGS = {"items": pattern(patterns.TAG)}
_ANNOTATIONS = {"propertyNames": pattern(patterns.ANNOTATION_KEY), "maxProperties": 128}

# component → property → what to add to its schema (to the string branch of an optional value).
RULES: dict[str, dict[str, Schema]] = {
    "Manifest": {"name": pattern(patterns.NAME), "version": pattern(patterns.SEMVER)},
    "Labels": {
        "license": pattern(patterns.SPDX), "tags": _TAGS,
        "annotations": {**_ANNOTATIONS, "additionalProperties": {"type": "string", "maxLength": 4096}},
    },
    "Content": {"digest": pattern(patterns.DIGEST), "uri": {"pattern": "^(?:s3|hf|https?|gs|file)://"}},
    "FileEntry": {"digest": pattern(patterns.DIGEST), "path": pattern(patterns.FILE_PATH)},
    "Dependency": {"ref": pattern(REFERENCE_PATTERN)},
    "LabelPatch": {
        # "" clears the license, as null does.
        "license": {"pattern": f"^(?:{patterns.SPDX})?$"}, "tags": _TAGS, "add_tags": _TAGS,
        "remove_tags": _TAGS, "card": {"maxLength": MAX_CARD}, "description": {"maxLength": 10_000},
        "annotations": {**_ANNOTATIONS, "additionalProperties": {
            "anyOf": [{"type": "string", "maxLength": 4096}, {"type": "null"}]}},
    },
    "AliasTarget": {"version": pattern(patterns.SEMVER)},
    "LockRequest": {"refs": {"items": pattern(REFERENCE_PATTERN)}},
    "NewUser": {"username": {**pattern(patterns.USERNAME), "not": {"enum": sorted(RESERVED_USERNAMES)}},
                "password": {"minLength": 8}},
    "UserPatch": {"password": {"minLength": 8}},
    "NewSigner": {"name": pattern(patterns.SIGNER)},
    "PasswordChange": {"new_password": {"minLength": 8}},
}
_NULL = {"type": "null"}


def _version_patch(schemas: dict[str, Schema]) -> Schema:
    """One kind of change per request: labels, or a status with what goes with it, or nothing."""
    text = {"type": "string", "maxLength": 4096}
    replacement = pattern(REFERENCE_PATTERN)
    unchanged = {"labels": _NULL, "status": _NULL, "message": _NULL, "replacement": _NULL, "reason": _NULL}

    def change(required: list[str], **given: Schema) -> Schema:
        return {"type": "object", "properties": {**unchanged, **given}, "required": required}

    return {
        "title": "VersionPatch", "description": schemas["VersionPatch"].get("description", ""),
        "type": "object", "additionalProperties": False,
        "properties": {name: {} for name in unchanged},
        "anyOf": [
            change([]),
            change(["labels"], labels={"$ref": "#/components/schemas/LabelPatch"}),
            change(["status"], status={"const": "deprecated"}, message={"anyOf": [text, _NULL]},
                   replacement={"anyOf": [replacement, _NULL]}),
            change(["status"], status={"const": "yanked"}, message={"anyOf": [text, _NULL]},
                   reason={"anyOf": [text, _NULL]}),
            change(["status"], status={"const": "active"}),
        ],
    }


def complete_schemas(document: Schema) -> None:
    """Add ``RULES`` to the document's components, and describe version documents per kind."""
    schemas: dict[str, Schema] = document.setdefault("components", {}).setdefault("schemas", {})
    for name, properties in RULES.items():
        component = schemas.get(name)
        if component is None:
            continue
        for prop, extra in properties.items():
            _constrain(component["properties"][prop], extra)
    if "NewApiKey" in schemas:
        schemas["NewApiKey"]["properties"]["expires_at"] = {
            "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}, _NULL],
            "description": "When the key stops working (ISO-8601, in the future); empty or null: never",
        }
    if "VersionPatch" in schemas:
        schemas["VersionPatch"] = _version_patch(schemas)
    if "Manifest" in schemas:
        _documents_by_kind(schemas)
        _use_documents(document)


def _constrain(schema: Schema, extra: Schema) -> None:
    """Merge ``extra`` into ``schema``, or into its non-null branch (``anyOf [T, null]``)."""
    branches = [branch for branch in schema.get("anyOf", ()) if branch.get("type") != "null"]
    target = branches[0] if branches else schema
    for key, value in extra.items():
        if key == "items" and "items" in target:
            target["items"].update(copy.deepcopy(value))
        else:
            target[key] = copy.deepcopy(value)


def _documents_name(kind: Kind) -> str:
    return "".join(part.title() for part in kind.value.split("_")) + "Document"


def _spec_name(kind: Kind) -> str:
    return "".join(part.title() for part in kind.value.split("_")) + "Spec"


def _documents_by_kind(schemas: dict[str, Schema]) -> None:
    """``ModelDocument`` … ``TestSuiteDocument``: the Manifest with that kind and its spec's schema,
    and ``Document``, one of them by ``kind``."""
    manifest = schemas["Manifest"]
    mapping = {}
    for kind in Kind:
        spec_name = _spec_name(kind)
        schemas.update(_spec_components(kind, spec_name))
        document = copy.deepcopy(manifest)
        document["title"] = _documents_name(kind)
        document["description"] = f"A {kind.value.replace('_', ' ')} version document"
        document["properties"]["kind"] = {"const": kind.value, "type": "string"}
        document["properties"]["spec"] = {"$ref": f"#/components/schemas/{spec_name}"}
        spec = schemas[spec_name]
        if any(key in spec for key in ("required", "oneOf", "anyOf")):
            document["required"] = sorted({*document.get("required", ()), "spec"})
        schemas[_documents_name(kind)] = document
        mapping[kind.value] = f"#/components/schemas/{_documents_name(kind)}"
    schemas["Document"] = {
        "title": "Document",
        "description": "A version document: its `kind` decides the schema of its `spec`",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "kind", "mapping": mapping},
    }


def _spec_components(kind: Kind, name: str) -> dict[str, Schema]:
    """The kind's spec schema as components: its ``$defs`` beside it, references rewritten."""
    schema = copy.deepcopy(dict(spec_schema(kind)))
    definitions = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    out = {name: schema, **{f"{name}_{key}": value for key, value in definitions.items()}}
    for value in out.values():
        _rewrite_refs(value, name)
    return out


def _rewrite_refs(value: Any, name: str) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            value["$ref"] = f"#/components/schemas/{name}_{ref.removeprefix('#/$defs/')}"
        for item in value.values():
            _rewrite_refs(item, name)
    elif isinstance(value, list):
        for item in value:
            _rewrite_refs(item, name)


def _use_documents(document: Schema) -> None:
    """Registration takes a ``Document``; a batch, a list of them; a policy's dry run, one as its subject."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body.get("schema") == {"$ref": "#/components/schemas/Manifest"}:
                body["schema"] = {"$ref": "#/components/schemas/Document"}
    batch = document["components"]["schemas"].get("BatchRequest")
    if batch is not None:
        batch["properties"]["documents"]["items"] = {"$ref": "#/components/schemas/Document"}
    trial = document["components"]["schemas"].get("PolicyTrial")
    if trial is not None:
        arms = trial["properties"]["subject"]["anyOf"]
        trial["properties"]["subject"]["anyOf"] = [
            {"$ref": "#/components/schemas/Document"} if arm.get("type") == "object" else arm for arm in arms
        ]

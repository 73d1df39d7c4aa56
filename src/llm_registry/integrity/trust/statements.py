"""In-toto Statements (v1) about a version, in the two shapes a signature may take.

- ``registry`` (ours): one subject per file of ``content.files`` (name: its path, digest: its
  sha256) and one for the version itself (name: ``kind:namespace/name@version``, digest: the
  version digest); predicate type ``https://llm-registry/signature/v1``.
- ``model-signing`` (OpenSSF model signing v1.0, predicate type
  ``https://model_signing/signature/v1.0``): one subject, the model (its name is informative),
  whose sha256 is the SHA-256 of the concatenated file digests in the order the predicate lists
  them, and ``predicate.resources``: ``{name: path, algorithm: sha256, digest: hex}`` per file.

A statement matches a version when it names exactly the version's files with their digests (and,
for ours, the version digest): other bytes, a missing file or an extra one is a mismatch.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from llm_registry.assets.models import VersionDocument
from llm_registry.errors import ValidationError

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_TYPES = (STATEMENT_V1, "https://in-toto.io/Statement/v0.1")
REGISTRY_PREDICATE = "https://llm-registry/signature/v1"
MODEL_SIGNING_PREDICATE = "https://model_signing/signature/v1.0"
FORMATS = {"registry": REGISTRY_PREDICATE, "model-signing": MODEL_SIGNING_PREDICATE}
MAX_SUBJECTS = 100_000
_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class Statement:
    """A parsed in-toto statement: subjects as (name, sha256 hex), the predicate as given."""

    subjects: tuple[tuple[str, str | None], ...]
    predicate_type: str
    predicate: dict[str, Any]
    raw: dict[str, Any]

    @property
    def format(self) -> str:
        """``registry``, ``model-signing``, or the predicate type of anything else."""
        for name, predicate_type in FORMATS.items():
            if predicate_type == self.predicate_type:
                return name
        return self.predicate_type


def parse_statement(payload: bytes | Mapping[str, Any], *, field: str = "payload",
                    code: str = "invalid_statement") -> Statement:
    """An in-toto Statement (v1, or v0.1 as older SLSA generators write); raises ValidationError
    (``code``) naming ``field`` and the part at fault."""
    if isinstance(payload, bytes | bytearray):
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"the payload is not JSON: {exc}", code=code, field=field or None) from None
    else:
        data = dict(payload)
    if not isinstance(data, dict):
        raise ValidationError("an in-toto statement is a JSON object", code=code, field=field or None)
    kind = data.get("_type")
    if kind not in STATEMENT_TYPES:
        raise ValidationError(f"_type {kind!r}: expected {STATEMENT_V1}", code=code, field=_at(field, "_type"))
    predicate_type = data.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise ValidationError("predicateType: expected a URI", code=code, field=_at(field, "predicateType"))
    predicate = data.get("predicate", {})
    if not isinstance(predicate, dict):
        raise ValidationError("predicate: expected an object", code=code, field=_at(field, "predicate"))
    subjects = data.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise ValidationError("subject: expected a list of at least one subject", code=code,
                              field=_at(field, "subject"))
    if len(subjects) > MAX_SUBJECTS:
        raise ValidationError(f"more than {MAX_SUBJECTS} subjects", code=code, field=_at(field, "subject"))
    parsed: list[tuple[str, str | None]] = []
    for index, subject in enumerate(subjects):
        where = _at(field, f"subject[{index}]")
        if not isinstance(subject, dict) or not isinstance(subject.get("digest", {}), dict):
            raise ValidationError("expected {name, digest: {sha256: hex}}", code=code, field=where)
        name = subject.get("name", "")
        sha256 = subject.get("digest", {}).get("sha256")
        if not isinstance(name, str) or (sha256 is not None and not _is_hex(sha256)):
            raise ValidationError("expected a name and a sha256 of 64 hex digits", code=code, field=where)
        parsed.append((name, sha256.lower() if isinstance(sha256, str) else None))
    return Statement(tuple(parsed), predicate_type, predicate, data)


def _at(field: str, part: str) -> str:
    return f"{field}.{part}" if field else part


def _is_hex(value: object) -> bool:
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


def file_digests(version: VersionDocument) -> dict[str, str]:
    """path -> sha256 hex of the version's declared files (empty without ``content.files``)."""
    files = version.content.files if version.content is not None and version.content.files else []
    return {f.path: _hex(f.digest) for f in files}


def registry_subjects(version: VersionDocument) -> list[dict[str, Any]]:
    """Our subjects of a version: its files by path, then the version by reference."""
    subjects = [{"name": path, "digest": {"sha256": digest}} for path, digest in sorted(file_digests(version).items())]
    subjects.append({"name": version.ref, "digest": {"sha256": _hex(version.digest)}})
    return subjects


def registry_statement(version: VersionDocument) -> dict[str, Any]:
    """Our statement about a version."""
    return {
        "_type": STATEMENT_V1,
        "subject": registry_subjects(version),
        "predicateType": REGISTRY_PREDICATE,
        "predicate": {"ref": version.ref, "digest": version.digest},
    }


def model_signing_statement(version: VersionDocument, *, model_name: str | None = None) -> dict[str, Any]:
    """The OpenSSF model signing v1.0 statement of a version's files (sha256, file by file), which
    their verifier checks against a folder holding exactly those files; raises ValidationError
    when the version declares no files."""
    files = file_digests(version)
    if not files:
        raise ValidationError(
            f"{version.ref} declares no files (content.files): model signing signs files",
            code="invalid_parameter", field="format",
        )
    resources = [{"name": path, "algorithm": "sha256", "digest": digest} for path, digest in sorted(files.items())]
    return {
        "_type": STATEMENT_V1,
        "subject": [{"name": model_name or version.name.rpartition("/")[2],
                     "digest": {"sha256": _root_digest([r["digest"] for r in resources])}}],
        "predicateType": MODEL_SIGNING_PREDICATE,
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False},
            "resources": resources,
        },
    }


def statement_for(version: VersionDocument, format: str) -> dict[str, Any]:
    """The statement of ``format`` (``registry`` or ``model-signing``) about ``version``."""
    if format == "registry":
        return registry_statement(version)
    if format == "model-signing":
        return model_signing_statement(version)
    raise ValidationError(f"unknown signature format {format!r}: registry or model-signing",
                          code="invalid_parameter", field="format")


def _root_digest(hex_digests: list[str]) -> str:
    hasher = hashlib.sha256()
    for digest in hex_digests:
        hasher.update(bytes.fromhex(digest))
    return hasher.hexdigest()


def mismatches(statement: Statement, version: VersionDocument) -> list[str]:
    """What keeps ``statement`` from being about exactly ``version`` (empty: it is)."""
    if statement.format == "registry":
        expected = {(s["name"], s["digest"]["sha256"]) for s in registry_subjects(version)}
        return _differences(expected, set(statement.subjects), "subject")
    if statement.format == "model-signing":
        return _model_signing_mismatches(statement, version)
    return [f"predicate type {statement.predicate_type!r} is not a signature of a version "
            f"(expected {REGISTRY_PREDICATE} or {MODEL_SIGNING_PREDICATE})"]


def _model_signing_mismatches(statement: Statement, version: VersionDocument) -> list[str]:
    files = file_digests(version)
    if not files:
        return [f"{version.ref} declares no files; a model signing statement is about files"]
    resources = statement.predicate.get("resources")
    serialization = statement.predicate.get("serialization")
    if not isinstance(resources, list) or not isinstance(serialization, dict):
        return ["predicate: expected serialization and resources"]
    if serialization.get("method") != "files" or serialization.get("hash_type") != "sha256":
        return [f"serialization {serialization.get('method')!r} with {serialization.get('hash_type')!r}: only "
                "files hashed with sha256 can be compared with the version's files"]
    listed: list[tuple[str, str]] = []
    for index, resource in enumerate(resources):
        if not (isinstance(resource, dict) and isinstance(resource.get("name"), str)
                and resource.get("algorithm") == "sha256" and _is_hex(resource.get("digest"))):
            return [f"predicate.resources[{index}]: expected {{name, algorithm: sha256, digest}}"]
        listed.append((resource["name"], resource["digest"].lower()))
    problems = []
    if len(statement.subjects) != 1:
        problems.append(f"expected one subject (the model), got {len(statement.subjects)}")
    elif statement.subjects[0][1] != _root_digest([digest for _, digest in listed]):
        problems.append("the subject's digest is not the digest of the listed resources")
    problems += _differences(set(files.items()), set(listed), "resource")
    return problems


def _differences(expected: set[tuple[str, str | None]], given: set[tuple[str, str | None]], what: str) -> list[str]:
    missing = sorted((name, digest) for name, digest in expected - given)
    extra = sorted((name, str(digest)) for name, digest in given - expected)
    given_names = {name for name, _ in given}
    problems = []
    for name, digest in missing[:10]:
        if name in given_names:
            problems.append(f"{what} {name!r} has other bytes than the version's (sha256:{digest})")
        else:
            problems.append(f"{what} {name!r} (sha256:{digest}) is not in the statement")
    expected_names = {name for name, _ in expected}
    for name, digest in extra[:10]:
        if name not in expected_names:
            problems.append(f"{what} {name!r} (sha256:{digest}) is not part of the version")
    more = len(missing) + len(extra) - 20
    if more > 0:
        problems.append(f"and {more} more")
    return problems

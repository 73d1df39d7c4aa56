"""schemathesis hooks of the fuzzing run (``tests/api/fuzzing.py``; loaded by ``st run``).

MessagePack, which the server reads in bodies and answers on request, is taught to
schemathesis here, so that both encodings are checked against the same schemas.

The rest states the few rules that a JSON Schema cannot, each written in the OpenAPI document's
descriptions; without them the fuzzer would count their refusals (422) as findings:

* a version document's ``kind`` is the collection's: ``POST /v1/{kinds}`` goes to the
  document's own collection;
* a search filter is an expression of a grammar (format ``search-filter``), drawn from it;
* a cursor is opaque (format ``cursor``): the only one a client makes up is the empty one, and
  real ones come through the ``NextPage`` links;
* a search's ``q`` has at most 32 words, and sorting by relevance needs one (a word being a
  run of letters, digits and ``_`` in any script, which no JSON Schema pattern can say: its
  word class is ASCII);
* a document's ``content.digest``, given with ``files``, is the digest of their manifest;
* an API key's ``expires_at`` is in the future;
* a search cursor continues the sort it came from;
* a blob's digest is the sha256 of its bytes: of the body of ``PUT /v1/blobs/{digest}``, of all
  the chunks of an upload session at ``PUT /v1/blobs/uploads/{id}?digest=``;
* a chunk starts where its session stands (``Upload-Offset``, or ``Content-Range`` FIRST-LAST
  with LAST at least FIRST), and a chunk needs one of the two;
* a signer's ``public_key`` is a PEM public key (Ed25519 or ECDSA);
* a policy's rules have names of their own, and each rule's ``when`` is a CEL expression that
  compiles (format ``cel``, drawn from a small grammar);
* a rejection's comment is not blank, and a policy trial's references are references (patterns
  the fuzzer draws from, as for every reference).

The sessions the fuzzer opened, and the bytes each has, are followed in ``after_call`` from the
server's answers: that is what a client knows of its own uploads.

The fuzzing phase draws filters and cursors from the formats registered here; the coverage
phase makes its own values, and ``before_call`` takes out those that break these rules.

The fuzzing admin's own account is not changed (a disabled fuzzer would test nothing more):
``PATCH /v1/users/{username}`` aimed at it is aimed at someone else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import msgpack
import orjson
import schemathesis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.transport.serialization import serialize_binary

from llm_registry.domain.digests import digest_of
from llm_registry.domain.kinds import Kind
from llm_registry.errors import ValidationError
from llm_registry.governance.expressions import compile_expression
from llm_registry.integrity.trust.keys import load_public_key
from llm_registry.search.filters import parse_filter
from llm_registry.search.services import MAX_TERMS
from tests.api.fuzzing import ADMIN

MSGPACK = "application/msgpack"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
CONTENT_RANGE = re.compile(r"(?:bytes )?[0-9]{1,19}-[0-9]{1,19}(?:/(?:[0-9]{1,19}|\*))?")
OFFSET = re.compile(r"[0-9]{1,19}")
RANGE = re.compile(r"bytes=(?:[0-9]{1,19}-(?:[0-9]{1,19})?|-[0-9]{1,19})")
# The bytes of each upload session the fuzzer opened and has not finished nor cancelled.
SESSIONS: dict[str, bytes] = {}


@schemathesis.serializer(MSGPACK)
def to_msgpack(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, use_bin_type=True)
    return packed


@schemathesis.deserializer(MSGPACK)
def from_msgpack(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    return msgpack.unpackb(response.content, raw=False)


schemathesis.openapi.format("cursor", st.just(""))

_WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_STRING = _WORD.map(lambda word: f'"{word}"')
_COMPARISONS = st.one_of(
    st.builds("kind = {}".format, st.sampled_from([f'"{kind.value}"' for kind in Kind])),
    st.builds("{} {} {}".format, st.sampled_from(["namespace", "name", "version", "description"]),
              st.sampled_from(["=", "!=", "~"]), _STRING),
    st.builds("status = {}".format, st.sampled_from(['"active"', '"deprecated"', '"yanked"'])),
    st.builds("license {}".format, st.sampled_from(["= null", '= "mit"', '!= "apache-2.0"'])),
    st.builds("tags = {}".format, _STRING),
    st.builds("{} {} {}".format, st.sampled_from(["created_at", "updated_at"]), st.sampled_from(["<", ">=", "="]),
              st.sampled_from(["2024-01-01", "2026-06-30T12:00:00Z"])),
    st.builds("spec.{} = {}".format, _WORD, st.one_of(_STRING, st.integers(-1000, 1000).map(str))),
    st.builds("annotations.{} = {}".format, _WORD, _STRING),
    st.builds("kind IN ({})".format, st.lists(st.sampled_from([f'"{k.value}"' for k in Kind]), min_size=1,
                                                max_size=3).map(", ".join)),
)
FILTERS = st.recursive(
    _COMPARISONS,
    lambda inner: st.one_of(
        st.builds("{} AND {}".format, inner, inner), st.builds("{} OR {}".format, inner, inner),
        st.builds("NOT {}".format, inner), st.builds("({})".format, inner),
    ),
    max_leaves=4,
)
schemathesis.openapi.format("search-filter", FILTERS)

_CEL_TESTS = st.one_of(
    st.builds("asset.{} == {}".format, st.sampled_from(["namespace", "name", "version", "status", "kind"]), _STRING),
    st.builds("size(asset.labels.tags) {} {}".format, st.sampled_from(["<", ">=", "=="]), st.integers(0, 5)),
    st.builds("{} in asset.labels.tags".format, _STRING),
    st.builds("actor.role == {}".format, st.sampled_from(['"admin"', '"developer"', '"viewer"'])),
    st.builds("operation == {}".format, st.sampled_from(['"register"', '"move_alias"', '"delete"'])),
    st.builds("asset.name.startsWith({})".format, _STRING),
    st.sampled_from(["true", "false", "has(asset.labels.license)"]),
)
CEL = st.recursive(_CEL_TESTS, lambda inner: st.one_of(
    st.builds("{} && {}".format, inner, inner), st.builds("{} || {}".format, inner, inner),
    st.builds("!({})".format, inner)), max_leaves=3)
schemathesis.openapi.format("cel", CEL)


def _server_cursor(text: str) -> bool:
    """Could the server have answered it (a cursor decodes to a JSON list)? Made-up ones cannot."""
    try:
        return isinstance(orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))), list)
    except (ValueError, binascii.Error):
        return False


def _parses(expression: str) -> bool:
    try:
        parse_filter(expression)
    except ValidationError:
        return False
    return True


def _with_digest_of_files(document: Any) -> None:
    """A document's ``content.digest``, when it gives ``files`` too, is the digest of their manifest."""
    content = document.get("content") if isinstance(document, dict) else None
    if not isinstance(content, dict) or not isinstance(content.get("digest"), str):
        return
    files = content.get("files")
    if isinstance(files, list) and files and all(isinstance(f, dict) and {"path", "digest", "size"} <= set(f)
                                                 for f in files):
        # The manifest names path, digest and size (a media type is not part of it); as the
        # registry reads them, 3.0 is the integer 3.
        entries = [{"path": f["path"], "digest": f["digest"],
                    "size": int(f["size"]) if isinstance(f["size"], float) and f["size"].is_integer() else f["size"]}
                   for f in files]
        with contextlib.suppress(TypeError, ValueError):  # beyond what JSON can hold: refused anyway
            content["digest"] = digest_of(sorted(entries, key=lambda f: str(f["path"])))


def _compiles(source: Any) -> bool:
    try:
        compile_expression(source, field="when")
    except ValidationError:
        return False
    return True


def _fit_policy(document: Any) -> None:
    """A policy document's rules named apart, and an expression that does not compile made one
    that does (the coverage phase makes its own strings of format ``cel``)."""
    if not isinstance(document, dict) or document.get("kind") != "policy":
        return
    spec = document.get("spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    if not isinstance(rules, list):
        return
    names: set[Any] = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        if isinstance(rule.get("name"), str) and rule["name"] in names:
            rule["name"] = f"{rule['name'][:100]}-{i}"
        names.add(rule.get("name"))
        if isinstance(rule.get("when"), str) and not _compiles(rule["when"]):
            rule["when"] = "true"


def _beyond_64_bits(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return not -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return any(_beyond_64_bits(item) for item in value.values())
    if isinstance(value, list):
        return any(_beyond_64_bits(item) for item in value)
    return False


def _cursor_sort(text: str) -> Any:
    """The sort a search cursor the server made belongs to (its first value)."""
    values = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return values[0] if values else None


def _public_key(text: Any) -> bool:
    try:
        load_public_key(text)
    except (ValidationError, TypeError):
        return False
    return True


def _new_public_key() -> str:
    return Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _body_bytes(case: schemathesis.Case) -> bytes:
    return b"" if case.body is None or isinstance(case.body, NotSet) else serialize_binary(case.body)


def _chunk_where_the_session_stands(case: schemathesis.Case, offset: int) -> None:
    """A valid chunk header (one that the schema admits) moved to ``offset``; none: ``Upload-Offset``."""
    headers = case.headers if isinstance(case.headers, MutableMapping) else {}
    # Called for positive cases only, so a header off its pattern is the generator's slip (the
    # coverage phase offers "0" as a valid Content-Range), not a refusal to test: it is rewritten.
    content_range = headers.get("Content-Range")
    size = len(_body_bytes(case))
    if content_range is not None and size:
        headers["Content-Range"] = f"bytes {offset}-{offset + size - 1}/*"
        headers.pop("Upload-Offset", None)
    else:
        headers.pop("Content-Range", None)
        headers["Upload-Offset"] = str(offset)
    case.headers = headers


def _in_the_past(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= datetime.now(UTC)


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    operation = case.operation.definition.raw.get("operationId")
    query = case.query
    if isinstance(query, dict):
        cursor = query.get("cursor")
        if isinstance(cursor, str) and cursor and not _server_cursor(cursor):
            del query["cursor"]
        if isinstance(query.get("q"), str) and len(re.findall(r"\w+", query["q"])) > MAX_TERMS:
            del query["q"]
        if query.get("sort") == "relevance" and not re.findall(r"\w+", str(query.get("q") or "")):
            del query["sort"]
        if operation == "search" and isinstance(query.get("filter"), str) and not _parses(query["filter"]):
            del query["filter"]
        cursor = query.get("cursor")
        if operation == "search" and isinstance(cursor, str) and cursor:
            sort = _cursor_sort(cursor)
            if sort == "relevance" and not re.findall(r"\w+", str(query.get("q") or "")):
                del query["cursor"]
            elif isinstance(sort, str):
                query["sort"] = sort
    body = case.body
    if case.media_type == MSGPACK and _beyond_64_bits(body):
        case.media_type = "application/json"  # which can carry it, where MessagePack cannot
    if operation == "register_version" and isinstance(body, dict):
        if isinstance(body.get("kind"), str) and body["kind"] in set(Kind):
            case.path_parameters = {**(case.path_parameters or {}), "kinds": Kind(body["kind"]).plural}
        _with_digest_of_files(body)
    if operation == "register_batch" and isinstance(body, dict) and isinstance(body.get("documents"), list):
        for document in body["documents"]:
            _with_digest_of_files(document)
    if operation == "create_api_key" and isinstance(body, dict) and isinstance(body.get("expires_at"), str) and (
            _in_the_past(body["expires_at"])):
        del body["expires_at"]
    if operation == "update_user" and (case.path_parameters or {}).get("username") == ADMIN:
        case.path_parameters = {**case.path_parameters, "username": "someone-else"}
    # A case meant to be refused is left as it was drawn (an edit would make it another case).
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    documents: Any = []
    if isinstance(body, dict):
        documents = {"register_version": [body], "register_batch": body.get("documents"),
                     "test_policy": [body.get("subject")]}.get(str(operation), [])
    for document in documents if isinstance(documents, list) else []:
        _fit_policy(document)
        if operation == "test_policy":
            _with_digest_of_files(document)
    if operation == "add_signer" and isinstance(body, dict) and not _public_key(body.get("public_key")):
        body["public_key"] = _new_public_key()
    # The coverage phase hands path parameters already percent-encoded (sha256%3A...).
    path = {key: unquote(value) if isinstance(value, str) else value
            for key, value in (case.path_parameters or {}).items()}
    headers = case.headers if isinstance(case.headers, MutableMapping) else {}
    if operation in ("get_blob", "head_blob") and not RANGE.fullmatch(str(headers.get("Range", "bytes=0-"))):
        del headers["Range"]  # the coverage phase offers "0" as a valid Range: a slip, as for chunks
    if operation == "put_blob" and DIGEST.fullmatch(str(path.get("digest"))):
        case.path_parameters = {**path, "digest": "sha256:" + hashlib.sha256(_body_bytes(case)).hexdigest()}
    session = SESSIONS.get(str(path.get("upload_id")))
    if operation in ("append_upload", "finish_upload") and session is not None:
        _chunk_where_the_session_stands(case, len(session))
    if operation in ("append_upload", "finish_upload") and session is None:
        _chunk_where_the_session_stands(case, 0)  # a chunk needs a header, even to a session that is not
    if operation == "finish_upload" and session is not None and isinstance(query, dict) and DIGEST.fullmatch(
            str(query.get("digest"))):
        query["digest"] = "sha256:" + hashlib.sha256(session + _body_bytes(case)).hexdigest()


@schemathesis.hook
def after_call(context: schemathesis.HookContext, case: schemathesis.Case, response: schemathesis.Response) -> None:
    operation = case.operation.definition.raw.get("operationId")
    upload_id = str((case.path_parameters or {}).get("upload_id"))
    if operation == "start_upload" and response.status_code == 202:
        SESSIONS[response.json()["id"]] = b""
    elif operation == "append_upload" and response.status_code == 202 and upload_id in SESSIONS:
        SESSIONS[upload_id] += _body_bytes(case)
    elif operation in ("finish_upload", "cancel_upload") and (response.status_code in (200, 201, 204, 404) or (
            response.status_code == 422 and response.json().get("code") == "digest_mismatch")):
        SESSIONS.pop(upload_id, None)  # the session is gone

"""The error tree: every class (HTTP status, gRPC code, to_dict) and every code, documented in docs/errors.md."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from llm_registry import errors
from llm_registry.errors import (
    ERROR_CODES,
    ApprovalRequiredError,
    ConcurrentWriteError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PolicyDeniedError,
    RateLimitedError,
    RegistryError,
    StorageError,
    UnauthenticatedError,
    ValidationError,
    error_class_for_code,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"

CLASSES: dict[type[RegistryError], tuple[int, str, str]] = {
    RegistryError: (500, "INTERNAL", "internal_error"),
    ValidationError: (422, "INVALID_ARGUMENT", "validation_error"),
    NotFoundError: (404, "NOT_FOUND", "not_found"),
    ConflictError: (409, "ALREADY_EXISTS", "conflict"),
    ConcurrentWriteError: (409, "ABORTED", "concurrent_write"),
    PolicyDeniedError: (403, "PERMISSION_DENIED", "policy_denied"),
    ApprovalRequiredError: (202, "FAILED_PRECONDITION", "approval_required"),
    UnauthenticatedError: (401, "UNAUTHENTICATED", "unauthenticated"),
    ForbiddenError: (403, "PERMISSION_DENIED", "forbidden"),
    RateLimitedError: (429, "RESOURCE_EXHAUSTED", "rate_limited"),
    StorageError: (503, "UNAVAILABLE", "storage_unavailable"),
}


def documented_codes() -> dict[str, tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    codes = text.split("## Codes", 1)[1]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \| `(\w+)` \| (.+) \|$", codes, flags=re.MULTILINE)
    assert rows, "no code table in docs/errors.md"
    out: dict[str, tuple[int, str]] = {}
    for code, status, class_name, meaning in rows:
        assert code not in out, f"{code} documented twice"
        assert meaning.strip(), code
        out[code] = (int(status), class_name)
    return out


def test_every_error_class_of_the_module_is_covered_here() -> None:
    defined = {obj for _, obj in inspect.getmembers(errors, inspect.isclass)
               if issubclass(obj, RegistryError) and obj.__module__ == errors.__name__}
    assert defined == set(CLASSES)
    assert set(errors.__all__) >= {cls.__name__ for cls in defined}


@pytest.mark.parametrize("cls", list(CLASSES), ids=lambda c: c.__name__)
def test_each_class_carries_its_status_grpc_code_and_default_code(cls: type[RegistryError]) -> None:
    status, grpc, default = CLASSES[cls]
    assert (cls.http_status, cls.grpc_code, cls.default_code) == (status, grpc, default)
    assert cls.title
    assert ERROR_CODES[default][0] is cls
    error = cls("it broke", retry_after=2.5) if cls is RateLimitedError else cls("it broke")
    assert isinstance(error, RegistryError)
    assert isinstance(error, Exception)
    assert (error.code, error.message, error.field, str(error)) == (default, "it broke", None, "it broke")
    expected = {"code": default, "message": "it broke", "field": None}
    if cls is RateLimitedError:
        expected["details"] = {"retry_after": 2.5}
    assert error.to_dict() == expected
    assert cls.__name__ in repr(error)
    assert default in repr(error)


def test_to_dict_carries_field_and_details() -> None:
    error = ValidationError("bad", code="dependency_cycle", field="dependencies", details={"cycle": ["a", "a"]})
    assert error.to_dict() == {"code": "dependency_cycle", "message": "bad", "field": "dependencies",
                               "details": {"cycle": ["a", "a"]}}
    assert RateLimitedError("slow down", retry_after=1.0).retry_after == 1.0


@pytest.mark.parametrize("code", list(ERROR_CODES))
def test_every_code_belongs_to_its_class_and_can_be_raised(code: str) -> None:
    cls, meaning = ERROR_CODES[code]
    assert re.fullmatch(r"[a-z][a-z_]*[a-z]", code)
    assert meaning.strip()
    assert error_class_for_code(code) is cls
    error = cls("x", retry_after=1.0, code=code) if cls is RateLimitedError else cls("x", code=code)
    assert error.code == code
    assert error.to_dict()["code"] == code


def test_an_undeclared_code_cannot_be_raised_and_maps_to_the_base_class() -> None:
    with pytest.raises(KeyError):
        ValidationError("x", code="made_up_code")
    assert error_class_for_code("made_up_code") is RegistryError


def test_every_code_is_documented_with_its_status_and_class() -> None:
    documented = documented_codes()
    missing = [code for code in ERROR_CODES if code not in documented]
    assert missing == [], f"codes missing from docs/errors.md: {missing}"
    stale = [code for code in documented if code not in ERROR_CODES]
    assert stale == [], f"docs/errors.md documents codes that do not exist: {stale}"
    for code, (cls, _) in ERROR_CODES.items():
        assert documented[code] == (cls.http_status, cls.__name__), code


def test_the_class_table_of_the_docs_matches_the_classes() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Classes", 1)[1].split("## Codes", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (\d{3}) \| `([A-Z_]+)` \|", text, flags=re.MULTILINE)
    assert {name: (int(status), grpc) for name, status, grpc in rows} == {
        cls.__name__: (status, grpc) for cls, (status, grpc, _) in CLASSES.items()}


def test_the_docs_describe_the_error_format() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "error: <code>: <message>" in text
    assert '{"error": {"code": …, "message": …, "field": …}}' in text
    assert "to_dict()" in text

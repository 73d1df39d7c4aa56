"""The Python API over HTTP: ``Registry.open("http://host:port")`` answers a RemoteRegistry.

Same methods, same return models and the same errors as the embedded registry: a problem
answer's ``code`` picks the error class (``errors.error_class_for_code``). References are
parsed here with the same rules (so a malformed one fails the same way, before any request);
names without namespace get this client's ``default_namespace``. An operation on a version
named by a range, alias or digest first resolves it to an exact version.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel

from llm_registry.assets import documents
from llm_registry.assets.manifests import ManifestInput, attach_files, read_manifest
from llm_registry.assets.models import (
    MAX_BATCH,
    Alias,
    AssetSummary,
    BatchItem,
    BatchResult,
    LabelRevision,
    VersionDocument,
    VersionSummary,
)
from llm_registry.connection import ServerConnection
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import parse_alias
from llm_registry.domain.pages import Page
from llm_registry.domain.references import Reference, SelectorType, parse_reference
from llm_registry.errors import ValidationError
from llm_registry.events.models import Event
from llm_registry.governance.evaluations import (
    Evaluation,
    EvaluationComparison,
    validate_details,
    validate_metrics,
)
from llm_registry.integrity.digest_cache import DigestCache
from llm_registry.integrity.models import PullPlan, PullResult, PushResult
from llm_registry.integrity.transfer import pull_files, push_files
from llm_registry.integrity.trust.inputs import (
    JsonInput,
    read_json_input,
    read_public_key,
    with_local_files,
)
from llm_registry.integrity.trust.models import Provenance, Signature, Signer, VerificationReport
from llm_registry.lineage.models import ImpactReport, LineageGraph, Lockfile, VerifyReport
from llm_registry.problems import error_from_response
from llm_registry.remote_blobs import HttpBlobTransport
from llm_registry.search.models import SearchPage, Suggestion
from llm_registry.settings import Settings

if TYPE_CHECKING:
    from llm_registry.governance.approvals import Approval
    from llm_registry.governance.services import PolicySummary, PolicyTest
    from llm_registry.integrity.trust.signing import KeyInput

__all__ = ["RemoteRegistry", "error_from_response"]

M = TypeVar("M", bound=BaseModel)


class RemoteRegistry:
    """Implements ``llm_registry.Registry`` for a registry served by ``llm-registry serve`` at ``location`` (``http(s)://host:port[/prefix]``).

    ``token`` (else ``settings.token``) is sent as ``Authorization: Bearer``; without one, the
    login saved by ``llm-registry login`` for this URL, renewed as it expires (see
    ``connection``). ``transport`` replaces httpx's network transport (for example
    ``InProcessTransport`` for an app in this process); ``client`` replaces the whole httpx
    client (left open on ``close``).
    """

    def __init__(
        self,
        location: str,
        *,
        settings: Settings | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.location = location.rstrip("/")
        self.settings = settings or Settings.load()
        self._connection = ServerConnection(self.location, settings=self.settings, token=token, transport=transport,
                                            client=client)
        self._closed = False

    # ---------------------------------------------------------------- http
    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 body: Any = None, timeout: float | None = None) -> httpx.Response:
        return self._connection.request(method, path, params=params, body=body, timeout=timeout)

    def _get(self, path: str, model: type[M], **params: Any) -> M:
        return model.model_validate_json(self._request("GET", path, params=params).content)

    def _pages(self, path: str, model: type[M], **params: Any) -> Iterator[M]:
        cursor: str | None = None
        while True:
            page = self._get(path, Page[model], **params, cursor=cursor, limit=1000)  # type: ignore[valid-type]
            yield from page.items
            cursor = page.next_cursor
            if cursor is None:
                return

    # ---------------------------------------------------------- references
    def _parse(self, ref: str, field: str = "ref") -> Reference:
        return parse_reference(ref, field=field, default_namespace=self.settings.default_namespace)

    def _asset(self, ref: str) -> Reference:
        parsed = self._parse(ref)
        if parsed.selector is not None:
            raise ValidationError(f"expected an asset reference without selector, got {str(parsed)!r}",
                                  code="invalid_reference", field="ref")
        return parsed

    def _version_path(self, ref: str) -> str:
        """The path of the exact version ``ref`` chooses (resolving other selectors first)."""
        parsed = self._parse(ref)
        version = parsed.selector if parsed.selector_type is SelectorType.VERSION else self.resolve(str(parsed)).version
        assert version is not None
        return f"{_asset_path(parsed)}/versions/{_segment(version)}"

    # ------------------------------------------------------------- methods
    def register(
        self, manifest: ManifestInput, *, files: Sequence[Path] = (), files_root: Path | None = None
    ) -> VersionDocument:
        data = read_manifest(manifest)
        if files:
            data = attach_files(data, files, root=files_root)
        # The embedded registry's document checks, here: the same error for a bad document, and
        # nothing sent that JSON cannot carry. The server checks again (it may be newer).
        parsed = documents.parse_manifest(data)
        response = self._request("POST", f"/v1/{parsed.kind.plural}", body=dict(data))
        return VersionDocument.model_validate_json(response.content)

    def register_many(
        self,
        manifests: Iterable[ManifestInput],
        *,
        batch_size: int = 1000,
        continue_on_error: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> BatchResult:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValidationError(f"batch_size must be between 1 and {MAX_BATCH}", code="invalid_parameter",
                                  field="batch_size")
        items: list[BatchItem] = []
        pending = iter(manifests)
        # One request per batch: the server registers each in one transaction.
        while chunk := list(itertools.islice(pending, batch_size)):
            body = {"documents": [dict(read_manifest(m)) for m in chunk], "continue_on_error": continue_on_error,
                    "offset": len(items)}
            response = self._request("POST", "/v1/batch/register", body=body)
            items.extend(BatchResult.model_validate_json(response.content).items)
            if progress is not None:
                progress(len(chunk))
        return BatchResult.of(items)

    def get(self, ref: str, *, as_of: str | None = None) -> VersionDocument:
        return self._get("/v1/resolve", VersionDocument, ref=str(self._parse(ref)), as_of=as_of)

    def resolve(self, ref: str) -> VersionDocument:
        return self.get(ref)

    def asset(self, ref: str) -> AssetSummary:
        return self._get(_asset_path(self._asset(ref)), AssetSummary)

    def assets(self, *, kind: str | None = None, namespace: str | None = None, cursor: str | None = None,
               limit: int = 100) -> Page[AssetSummary]:
        path = f"/v1/{parse_kind(kind).plural}" if kind is not None else "/v1/assets"
        return self._get(path, Page[AssetSummary], namespace=namespace, cursor=cursor, limit=limit)

    def versions(self, ref: str, *, cursor: str | None = None, limit: int = 100) -> Page[VersionSummary]:
        return self._get(f"{_asset_path(self._asset(ref))}/versions", Page[VersionSummary], cursor=cursor,
                         limit=limit)

    def label(self, ref: str, *, description: str | None = None, license: str | None = None,
              card: str | None = None, tags: Sequence[str] = (), untags: Sequence[str] = (),
              set_tags: Sequence[str] | None = None,
              annotations: Mapping[str, str | None] | None = None) -> VersionDocument:
        labels: dict[str, Any] = {"add_tags": list(tags), "remove_tags": list(untags),
                                  "annotations": dict(annotations or {})}
        # JSON Merge Patch: a field left out stays as it is; "" (or null) clears it.
        if description is not None:
            labels["description"] = description
        if license is not None:
            labels["license"] = license
        if card is not None:
            labels["card"] = card
        if set_tags is not None:
            labels["tags"] = list(set_tags)
        return self._patch(ref, {"labels": labels})

    def label_history(self, ref: str) -> list[LabelRevision]:
        return list(self._pages(f"{self._version_path(ref)}/history", LabelRevision))

    def deprecate(self, ref: str, *, message: str | None = None, replacement: str | None = None) -> VersionDocument:
        return self._patch(ref, {"status": "deprecated", "message": message, "replacement": replacement})

    def yank(self, ref: str, *, reason: str | None = None) -> VersionDocument:
        return self._patch(ref, {"status": "yanked", "reason": reason})

    def restore(self, ref: str) -> VersionDocument:
        return self._patch(ref, {"status": "active"})

    def _patch(self, ref: str, body: dict[str, Any]) -> VersionDocument:
        response = self._request("PATCH", self._version_path(ref), body=body)
        return VersionDocument.model_validate_json(response.content)

    def delete(self, ref: str, *, force: bool = False) -> VersionDocument:
        if self._parse(ref).selector_type is not SelectorType.VERSION:
            raise ValidationError("delete needs an exact version", code="invalid_reference", field="ref")
        response = self._request("DELETE", self._version_path(ref), params={"force": "true" if force else None})
        return VersionDocument.model_validate_json(response.content)

    def set_alias(self, ref: str, alias: str, version: str, *, force: bool = False) -> Alias:
        path = f"{_asset_path(self._asset(ref))}/aliases/{_segment(parse_alias(alias))}"
        body: dict[str, Any] = {"version": version, **({"force": True} if force else {})}
        return Alias.model_validate_json(self._request("PUT", path, body=body).content)

    def remove_alias(self, ref: str, alias: str) -> None:
        self._request("DELETE", f"{_asset_path(self._asset(ref))}/aliases/{_segment(parse_alias(alias))}")

    def aliases(self, ref: str) -> list[Alias]:
        return list(self._pages(f"{_asset_path(self._asset(ref))}/aliases", Alias))

    def render(self, ref: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        parsed = self._parse(ref)
        if parsed.kind is not Kind.PROMPT:
            raise ValidationError(f"{parsed} is not a prompt", code="not_a_prompt", field="ref")
        response = self._request("POST", f"{self._version_path(ref)}/render", body={"variables": dict(variables or {})})
        rendered: dict[str, Any] = {k: v for k, v in orjson.loads(response.content).items() if v is not None}
        return rendered

    def events(self, *, after: str | None = None, type: Sequence[str] = (), subject: str | None = None,
               actor: str | None = None, limit: int = 100, wait: float = 0.0) -> Page[Event]:
        params = {"after": after, "type": list(type) or None, "subject": subject, "actor": actor, "limit": limit,
                  "wait": wait or None}
        # A long-poll is answered after up to ``wait`` seconds: the answer may take that long.
        timeout = self.settings.request_timeout + wait if wait else None
        response = self._request("GET", "/v1/events", params=params, timeout=timeout)
        return Page[Event].model_validate_json(response.content)

    def search(
        self,
        query: str | None = None,
        *,
        kind: str | None = None,
        filter: str | None = None,
        sort: str | None = None,
        facets: Sequence[str] = (),
        all_versions: bool = False,
        cursor: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        params = {"q": query, "kind": kind, "filter": filter, "sort": sort, "facets": list(facets) or None,
                  "all_versions": "true" if all_versions else None, "cursor": cursor, "limit": limit}
        return self._get("/v1/search", SearchPage, **params)

    def suggest(self, prefix: str, *, limit: int = 10) -> list[Suggestion]:
        response = self._request("GET", "/v1/search/suggest", params={"prefix": prefix, "limit": limit})
        return [Suggestion.model_validate(item) for item in orjson.loads(response.content)]

    def lineage(
        self, ref: str, *, direction: str = "both", depth: int | None = None, relations: Sequence[str] = ()
    ) -> LineageGraph:
        params = {"ref": ref, "direction": direction, "depth": depth, "relation": list(relations) or None}
        return self._get("/v1/lineage", LineageGraph, **params)

    def impact(self, ref: str) -> ImpactReport:
        return self._get("/v1/impact", ImpactReport, ref=ref)

    def lock(self, refs: Sequence[str]) -> Lockfile:
        return Lockfile.model_validate_json(self._request("POST", "/v1/lock", body={"refs": list(refs)}).content)

    def verify_lock(self, lock: Lockfile | Mapping[str, Any]) -> VerifyReport:
        body = lock.model_dump(mode="json") if isinstance(lock, Lockfile) else dict(lock)
        return VerifyReport.model_validate_json(self._request("POST", "/v1/verify", body=body).content)

    def _blobs(self) -> HttpBlobTransport:
        return HttpBlobTransport(self._connection, chunk_bytes=self.settings.blob_chunk_bytes)

    def push(self, ref_or_manifest: ManifestInput, paths: Sequence[Path | str], *, files_root: Path | None = None,
             progress: Callable[[int, int], None] | None = None, threads: int | None = None) -> PushResult:
        def register(document: Mapping[str, Any]) -> tuple[VersionDocument, bool]:
            parsed = documents.parse_manifest(document)
            response = self._request("POST", f"/v1/{parsed.kind.plural}", body=dict(document))
            return VersionDocument.model_validate_json(response.content), response.status_code == 201

        return push_files(ref_or_manifest, paths, transport=self._blobs(), get=self.get, register=register,
                          files_root=files_root, progress=progress,
                          threads=threads or self.settings.transfer_threads,
                          cache=DigestCache() if self.settings.digest_cache else None)

    def pull(self, ref: str, dest: Path | str, *, progress: Callable[[int, int], None] | None = None,
             threads: int | None = None) -> PullResult:
        plan = self._get(f"{self._version_path(ref)}/files", PullPlan)
        return pull_files(plan, Path(dest), transport=self._blobs(), progress=progress,
                          threads=threads or self.settings.transfer_threads)

    # ----------------------------------------------------------------- trust
    def add_signer(self, name: str, public_key: str | bytes | Path) -> Signer:
        text = read_public_key(public_key).decode("utf-8", "replace")
        response = self._request("POST", "/v1/signers", body={"name": name, "public_key": text})
        return Signer.model_validate_json(response.content)

    def signers(self) -> list[Signer]:
        return self._get("/v1/signers", Page[Signer]).items

    def revoke_signer(self, name: str) -> Signer:
        return Signer.model_validate_json(self._request("DELETE", f"/v1/signers/{_segment(name)}").content)

    def sign(self, ref: str, key: KeyInput, *, format: str = "registry", password: str | None = None) -> Signature:
        from llm_registry.integrity.trust.signing import sign_version, signing_key

        loaded = signing_key(key, password=password)
        document = self.get(ref)
        return self.add_signature(document.ref, sign_version(document, loaded, format=format).to_json())

    def add_signature(self, ref: str, envelope: JsonInput) -> Signature:
        data = read_json_input(envelope, field="envelope")
        response = self._request("POST", f"{self._version_path(ref)}/signatures", body=data)
        return Signature.model_validate_json(response.content)

    def signatures(self, ref: str) -> list[Signature]:
        return list(self._pages(f"{self._version_path(ref)}/signatures", Signature))

    def verify(self, ref: str, *, files: Path | None = None) -> VerificationReport:
        report = self._get(f"{self._version_path(ref)}/verification", VerificationReport)
        return with_local_files(report, self.get(report.ref), files) if files is not None else report

    def attach_provenance(self, ref: str, statement: JsonInput) -> Provenance:
        data = read_json_input(statement, field="statement")
        response = self._request("POST", f"{self._version_path(ref)}/provenance", body=data)
        return Provenance.model_validate_json(response.content)

    def provenance(self, ref: str) -> list[Provenance]:
        return list(self._pages(f"{self._version_path(ref)}/provenance", Provenance))

    # ------------------------------------------------------------ governance
    def policies(self) -> list[PolicySummary]:
        from llm_registry.governance.services import PolicySummary

        return self._get("/v1/governance/policies", Page[PolicySummary]).items

    def test_policy(
        self, policy: str, subject: str | Mapping[str, Any], *, operation: str = "register",
        target: Mapping[str, Any] | None = None,
    ) -> PolicyTest:
        from llm_registry.governance.services import PolicyTest

        sent: str | dict[str, Any] = subject if isinstance(subject, str) else dict(read_manifest(subject))
        body = {"policy": policy, "subject": sent, "operation": operation, "target": dict(target or {})}
        return PolicyTest.model_validate_json(self._request("POST", "/v1/governance/test", body=body).content)

    def approvals(self, *, state: str | None = None) -> list[Approval]:
        from llm_registry.governance.approvals import Approval

        return list(self._pages("/v1/approvals", Approval, state=state))

    def approval(self, approval_id: str) -> Approval:
        from llm_registry.governance.approvals import Approval

        return self._get(f"/v1/approvals/{_segment(approval_id)}", Approval)

    def approve(self, approval_id: str, *, comment: str | None = None) -> Approval:
        return self._decide(approval_id, "approve", comment)

    def reject(self, approval_id: str, *, comment: str) -> Approval:
        return self._decide(approval_id, "reject", comment)

    def _decide(self, approval_id: str, decision: str, comment: str | None) -> Approval:
        from llm_registry.governance.approvals import Approval

        body = {"comment": comment} if comment is not None else {}
        response = self._request("POST", f"/v1/approvals/{_segment(approval_id)}/{decision}", body=body)
        return Approval.model_validate_json(response.content)
    # ----------------------------------------------------------- evaluations
    def record_evaluation(
        self,
        subject: str,
        *,
        suite: str,
        metrics: Mapping[str, float],
        dataset: str | None = None,
        prompt: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Evaluation:
        # The embedded registry's checks, here: a NaN or infinite score cannot travel in JSON.
        body: dict[str, Any] = {
            "subject": str(self._parse(subject, "subject")),
            "suite": str(parse_reference(suite, field="suite", default_namespace=self.settings.default_namespace,
                                         kind=Kind.TEST_SUITE)),
            "metrics": validate_metrics(metrics),
        }
        for field, value, kind in (("dataset", dataset, Kind.DATASET), ("prompt", prompt, Kind.PROMPT)):
            if value is not None:
                body[field] = str(parse_reference(value, field=field, kind=kind,
                                                  default_namespace=self.settings.default_namespace))
        if details is not None:
            body["details"] = validate_details(details)
        return Evaluation.model_validate_json(self._request("POST", "/v1/evaluations", body=body).content)

    def evaluations(
        self, *, subject: str | None = None, suite: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Evaluation]:
        return self._get("/v1/evaluations", Page[Evaluation], subject=subject, suite=suite, cursor=cursor,
                         limit=limit)

    def evaluation(self, evaluation_id: str) -> Evaluation:
        return self._get(f"/v1/evaluations/{_segment(evaluation_id)}", Evaluation)

    def compare_evaluations(self, refs: Sequence[str], *, suite: str) -> EvaluationComparison:
        return self._get("/v1/evaluations/compare", EvaluationComparison, ref=list(refs), suite=suite)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._connection.close()

    def __enter__(self) -> RemoteRegistry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _segment(value: str) -> str:
    return quote(value, safe="")


def _asset_path(ref: Reference) -> str:
    return f"/v1/{ref.kind.plural}/{_segment(ref.name.namespace)}/{_segment(ref.name.name)}"

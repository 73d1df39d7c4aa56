"""Evaluation results (DESIGN §2.5): the scores of a version on a test suite version (with the
dataset and prompt versions it ran with), recorded with their ``evaluation.recorded`` event in
one transaction, listed per version or per suite, and compared across versions.

References in input may be ranges or aliases; what is stored is the exact version each chose
(``model:acme/x@1.2.0``). A suite given to ``list`` or ``compare`` filters: without a selector
it matches every version of the suite, a range every version in the range (prereleases only
when the range names one, yanked versions too: their results stay history), an exact version,
alias or digest the one version it chooses.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from pydantic import BaseModel

from llm_registry.assets.context import AssetContext
from llm_registry.assets.interfaces import AssetReader, VersionRow
from llm_registry.assets.paging import page_limit
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain import ids
from llm_registry.domain.access import Actor
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.kinds import Kind
from llm_registry.domain.pages import Page
from llm_registry.domain.references import Reference, SelectorType
from llm_registry.domain.versions import cached_version
from llm_registry.errors import NotFoundError, ValidationError
from llm_registry.events.models import EventType
from llm_registry.governance import evaluation_store
from llm_registry.governance.evaluation_store import EvaluationRow

RECORD = "evaluations:record"
METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
MAX_METRICS = 256
MAX_DETAILS_BYTES = 65_536
MAX_COMPARED = 10
# Differences are rounded so that 0.91 - 0.85 reads 0.06, not 0.06000000000000005.
_DIFFERENCE_DIGITS = 12


class Evaluation(BaseModel):
    """One recorded evaluation: ``subject`` scored ``metrics`` on ``suite`` (exact references)."""

    id: str
    subject: str
    suite: str
    dataset: str | None = None
    prompt: str | None = None
    metrics: dict[str, float]
    details: dict[str, Any] | None = None
    created_by: str
    created_at: str


class ComparedVersion(BaseModel):
    """One version of a comparison: its newest evaluation on the suite (None: it has none), its
    metrics, and each metric of the comparison minus the first version's (None where either
    lacks it)."""

    ref: str
    evaluation: Evaluation | None = None
    metrics: dict[str, float]
    differences: dict[str, float | None]


class EvaluationComparison(BaseModel):
    """Versions side by side on a suite; ``metrics`` names every metric any of them has."""

    suite: str
    metrics: list[str]
    versions: list[ComparedVersion]


def evaluation_of(row: EvaluationRow) -> Evaluation:
    return Evaluation(
        id=row.id, subject=row.subject, suite=row.suite, dataset=row.dataset, prompt=row.prompt,
        metrics=dict(row.metrics), details=row.details, created_by=row.created_by, created_at=row.created_at,
    )


class _IncreasingIds:
    """ULIDs that increase within this process, so "newest first" holds for evaluations recorded
    in the same millisecond (plain ULIDs order those at random)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> str:
        with self._lock:
            value = _ulid_value(ids.new_id())
            value = max(value, self._last + 1)
            self._last = value
            return ids.encode(value >> 80, value & ((1 << 80) - 1))


def _ulid_value(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + ids._DIGITS.index(char)
    return value


_new_id = _IncreasingIds()


def validate_metrics(metrics: object, field: str = "metrics") -> dict[str, float]:
    """The metrics as stored (names checked, values finite numbers); raises ValidationError
    (``invalid_parameter``) naming the metric (``metrics.accuracy``)."""
    if not isinstance(metrics, Mapping):
        raise ValidationError(f"{field} must be an object of metric names to numbers", code="invalid_parameter",
                              field=field)
    if not metrics:
        raise ValidationError(f"{field} needs at least one metric", code="invalid_parameter", field=field)
    if len(metrics) > MAX_METRICS:
        raise ValidationError(f"{field} has more than {MAX_METRICS} metrics", code="invalid_parameter", field=field)
    out: dict[str, float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            shown = name if isinstance(name, str) and len(name) <= 80 else None
            raise ValidationError(
                f"invalid metric name {name!r}: a letter or _, then letters, digits, _ . -, at most 64",
                code="invalid_parameter", field=f"{field}.{shown}" if shown else field,
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValidationError(f"{field}.{name} must be a finite number, got {value!r}",
                                  code="invalid_parameter", field=f"{field}.{name}")
        out[name] = float(value)
    return out


def validate_details(details: object) -> dict[str, Any] | None:
    """``details`` as stored: None, or a JSON object of at most MAX_DETAILS_BYTES."""
    if details is None:
        return None
    if not isinstance(details, Mapping):
        raise ValidationError("details must be a JSON object", code="invalid_parameter", field="details")
    try:
        size = len(orjson.dumps(details))
    except TypeError as error:
        raise ValidationError(f"details is not JSON: {error}", code="invalid_parameter", field="details") from None
    if size > MAX_DETAILS_BYTES:
        raise ValidationError(f"details is larger than {MAX_DETAILS_BYTES} bytes as JSON", code="invalid_parameter",
                              field="details")
    return dict(details)


def _exact(row: VersionRow) -> str:
    return f"{row.kind.value}:{row.namespace}/{row.name}@{row.version}"


class EvaluationService:
    """Records, lists and compares evaluations; raises the errors of ``llm_registry.errors``."""

    def __init__(self, context: AssetContext) -> None:
        self.context = context

    # ------------------------------------------------------------- record
    def record(
        self, subject_ref: str | Reference, *, suite: str | Reference, dataset: str | Reference | None = None,
        prompt: str | Reference | None = None, metrics: Mapping[str, float], details: Mapping[str, Any] | None = None,
        actor: Actor,
    ) -> Evaluation:
        """Record the scores of the version ``subject_ref`` chooses on the ``test_suite`` version
        ``suite`` chooses (with the ``dataset`` and ``prompt`` versions, when given), and its
        ``evaluation.recorded`` event. Raises ValidationError naming the field, NotFoundError
        (the field's reference chooses nothing), ForbiddenError (needs ``evaluations:record``)."""
        refs = {
            "subject": self.context.parse_reference(subject_ref, field="subject"),
            "suite": self.context.parse_reference(suite, field="suite", kind=Kind.TEST_SUITE),
        }
        if dataset is not None:
            refs["dataset"] = self.context.parse_reference(dataset, field="dataset", kind=Kind.DATASET)
        if prompt is not None:
            refs["prompt"] = self.context.parse_reference(prompt, field="prompt", kind=Kind.PROMPT)
        scores = validate_metrics(metrics)
        extra = validate_details(details)
        with self.context.store.write() as tx:
            rows = {field: get_by_reference(tx, ref, field=field) for field, ref in refs.items()}
            subject = rows["subject"]
            self.context.authorize(actor, RECORD, namespace=subject.namespace)
            found = {field: (row.id, _exact(row)) for field, row in rows.items()}
            none: tuple[str | None, str | None] = (None, None)
            now = self.context.now()
            row = EvaluationRow(
                id=_new_id(), version_id=subject.id, subject=found["subject"][1],
                suite_version_id=found["suite"][0], suite=str(found["suite"][1]),
                dataset_version_id=found.get("dataset", none)[0], dataset=found.get("dataset", none)[1],
                prompt_version_id=found.get("prompt", none)[0], prompt=found.get("prompt", none)[1],
                metrics=scores, details=extra, created_at=now, created_by=actor.name,
            )
            evaluation_store.insert_evaluation(_connection(tx), row)
            tx.append_event(
                type=EventType.EVALUATION_RECORDED, subject=row.subject, asset=row.subject.split("@", 1)[0],
                actor=actor.name, at=now,
                payload={"evaluation": row.id, "suite": row.suite, "dataset": row.dataset, "prompt": row.prompt,
                         "metrics": scores},
            )
        return evaluation_of(row)

    # --------------------------------------------------------------- read
    def get(self, evaluation_id: str) -> Evaluation:
        """One evaluation; raises NotFoundError (``evaluation_not_found``)."""
        with self.context.store.read() as tx:
            row = evaluation_store.find_evaluation(_connection(tx), evaluation_id)
        if row is None:
            raise NotFoundError(f"no evaluation {evaluation_id!r}", code="evaluation_not_found", field="id")
        return evaluation_of(row)

    def list(
        self, *, subject: str | Reference | None = None, suite: str | Reference | None = None,
        cursor: str | None = None, limit: int = 100,
    ) -> Page[Evaluation]:
        """Evaluations newest first: of the version ``subject`` chooses, on the versions ``suite``
        matches (see the module), both, or every one."""
        limit = page_limit(limit)
        before = decode_cursor(cursor, arity=1, types=(str,))[0] if cursor else None
        parsed_subject = self.context.parse_reference(subject, field="subject") if subject else None
        parsed_suite = self.context.parse_reference(suite, field="suite", kind=Kind.TEST_SUITE) if suite else None
        with self.context.store.read() as tx:
            version_id = get_by_reference(tx, parsed_subject, field="subject").id if parsed_subject else None
            suites = suite_versions(tx, parsed_suite) if parsed_suite else None
            rows = evaluation_store.list_evaluations(
                _connection(tx), version_id=version_id, suite_version_ids=suites, before=before, limit=limit + 1
            )
        next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
        return Page[Evaluation](items=[evaluation_of(r) for r in rows[:limit]], next_cursor=next_cursor)

    def compare(self, refs: Sequence[str | Reference], *, suite: str | Reference) -> EvaluationComparison:
        """For each version ``refs`` choose, its newest evaluation on the versions ``suite``
        matches, the metrics side by side, and each metric's difference from the first
        version's. Raises ValidationError (``refs``: none, or more than MAX_COMPARED) and
        NotFoundError for a reference that chooses nothing."""
        if not refs or len(refs) > MAX_COMPARED:
            raise ValidationError(f"compare takes 1 to {MAX_COMPARED} references", code="invalid_parameter",
                                  field="refs")
        parsed = [self.context.parse_reference(r, field=f"refs[{i}]") for i, r in enumerate(refs)]
        parsed_suite = self.context.parse_reference(suite, field="suite", kind=Kind.TEST_SUITE)
        with self.context.store.read() as tx:
            versions = [get_by_reference(tx, ref, field=f"refs[{i}]") for i, ref in enumerate(parsed)]
            suites = suite_versions(tx, parsed_suite)
            newest = evaluation_store.newest_on_suites(_connection(tx), [v.id for v in versions], suites)
        found = [newest.get(v.id) for v in versions]
        names = sorted({name for row in found if row is not None for name in row.metrics})
        first = found[0].metrics if found[0] is not None else {}
        compared = []
        for version, row in zip(versions, found, strict=True):
            metrics = dict(row.metrics) if row is not None else {}
            differences = {
                name: round(metrics[name] - first[name], _DIFFERENCE_DIGITS)
                if name in metrics and name in first else None
                for name in names
            }
            compared.append(ComparedVersion(
                ref=_exact(version), evaluation=evaluation_of(row) if row is not None else None, metrics=metrics,
                differences=differences,
            ))
        return EvaluationComparison(suite=str(parsed_suite), metrics=names, versions=compared)


def suite_versions(tx: AssetReader, suite: Reference) -> list[str]:
    """The ids of the suite versions ``suite`` matches as a filter (see the module); raises
    NotFoundError (field ``suite``) when the suite does not exist or nothing matches."""
    if suite.selector is None or suite.selector_type is SelectorType.RANGE:
        if tx.find_asset(suite.kind, suite.name) is None:
            raise NotFoundError(f"no asset {suite.asset}", code="asset_not_found", field="suite")
        version_range = suite.range if suite.selector is not None else None
        include_prerelease = version_range is None or version_range.names_prerelease
        matched = [
            version_id
            for version_id, number in tx.iter_version_numbers(
                suite.kind, suite.name, include_prerelease=include_prerelease, only_active=False
            )
            if version_range is None or version_range.match(cached_version(number))
        ]
        if not matched:
            raise NotFoundError(f"no version of {suite.asset} matches {suite.selector!r}", code="version_not_found",
                                field="suite")
        return matched
    return [get_by_reference(tx, suite, field="suite").id]


def _connection(tx: Any) -> Any:
    """The SQL connection of an asset-store transaction (see ``governance.store_sql``)."""
    return tx.connection

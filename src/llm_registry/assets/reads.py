"""Reading the catalog: versions by reference (as of a time), assets, version lists, label
history, and rendering prompts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_registry.assets import documents
from llm_registry.assets.context import AssetContext, ReadContext
from llm_registry.assets.interfaces import AssetListRow
from llm_registry.assets.models import AssetSummary, LabelRevision, Labels, Status, VersionDocument, VersionSummary
from llm_registry.assets.paging import page_limit
from llm_registry.assets.resolution import get_by_reference
from llm_registry.domain.cursors import decode_cursor, encode_cursor
from llm_registry.domain.kinds import Kind, parse_kind
from llm_registry.domain.names import validate_namespace
from llm_registry.domain.pages import Page
from llm_registry.domain.references import Reference
from llm_registry.domain.times import parse_time
from llm_registry.errors import NotFoundError, ValidationError


class VersionCatalog:
    """Reads versions by reference and an asset's versions: what a store that reads versions
    (``VersionStore``) can answer; raises NotFoundError for what does not exist."""

    def __init__(self, context: ReadContext) -> None:
        self.context = context

    def get(self, ref: str | Reference, *, as_of: str | None = None) -> VersionDocument:
        """The version ``ref`` chooses (labels as of ``as_of`` when given); raises NotFoundError."""
        parsed = self.context.parse_reference(ref)
        with self.context.store.read() as tx:
            row = get_by_reference(tx, parsed)
            if as_of is None:
                return documents.to_document(row)
            moment = parse_time(as_of, field="as_of")
            revision = tx.find_label_revision_at(row.id, moment)
        if revision is None:
            raise NotFoundError(
                f"{parsed.asset}@{row.version} did not exist at {moment}", code="version_not_found", field="as_of"
            )
        return documents.to_document(row, labels=revision.labels)

    def resolve(self, ref: str | Reference) -> VersionDocument:
        """The version a reference chooses; same rules as ``get``."""
        return self.get(ref)

    def list_versions(
        self, ref: str | Reference, *, cursor: str | None = None, limit: int = 100
    ) -> Page[VersionSummary]:
        """An asset's versions in descending SemVer precedence; raises NotFoundError for an unknown asset."""
        parsed = self.context.asset_reference(ref)
        before = decode_cursor(cursor, arity=4, types=(int, int, int, str)) if cursor else None
        limit = page_limit(limit)
        with self.context.store.read() as tx:
            asset = tx.find_asset(parsed.kind, parsed.name)
            if asset is None:
                raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
            rows = tx.list_versions(
                asset.id, before=(before[0], before[1], before[2], before[3]) if before else None, limit=limit + 1
            )
        items = [
            VersionSummary(
                version=r.version,
                digest=r.digest,
                status=Status(r.status),
                created_at=r.created_at,
                created_by=r.created_by,
                aliases=r.aliases,
            )
            for r in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor([last.major, last.minor, last.patch, last.prerelease_key])
        return Page[VersionSummary](items=items, next_cursor=next_cursor)


class CatalogService(VersionCatalog):
    """Reads versions and assets; raises NotFoundError for what does not exist."""

    context: AssetContext

    def __init__(self, context: AssetContext) -> None:
        super().__init__(context)

    def get_asset(self, ref: str | Reference) -> AssetSummary:
        """An asset with its aliases, latest version and version count; raises NotFoundError."""
        parsed = self.context.asset_reference(ref)
        with self.context.store.read() as tx:
            rows = tx.list_assets(
                kind=parsed.kind, namespace=parsed.name.namespace, name=parsed.name.name, after=None, limit=1
            )
        if not rows:
            raise NotFoundError(f"no asset {parsed.asset}", code="asset_not_found", field="ref")
        return _summary(rows[0])

    def list_assets(
        self,
        *,
        kind: Kind | str | None = None,
        namespace: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[AssetSummary]:
        """A page of assets ordered by kind, namespace, name."""
        parsed_kind = parse_kind(kind) if kind is not None else None
        if namespace is not None:
            validate_namespace(namespace)
        after = decode_cursor(cursor, arity=3, types=(str, str, str)) if cursor else None
        limit = page_limit(limit)
        with self.context.store.read() as tx:
            rows = tx.list_assets(
                kind=parsed_kind,
                namespace=namespace,
                name=None,
                after=(after[0], after[1], after[2]) if after else None,
                limit=limit + 1,
            )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1].asset
            next_cursor = encode_cursor([last.kind.value, last.namespace, last.name])
        return Page[AssetSummary](items=[_summary(r) for r in rows[:limit]], next_cursor=next_cursor)

    def list_label_history(
        self, ref: str | Reference, *, cursor: str | None = None, limit: int = 100
    ) -> Page[LabelRevision]:
        """A page of a version's label revisions, oldest first."""
        parsed = self.context.parse_reference(ref)
        after = decode_cursor(cursor, arity=1, types=(int,))[0] if cursor else 0
        limit = page_limit(limit)
        with self.context.store.read() as tx:
            row = get_by_reference(tx, parsed)
            revisions = tx.list_label_revisions(row.id, after=after, limit=limit + 1)
        items = [
            LabelRevision(
                revision=r.revision,
                labels=Labels.model_validate(r.labels),
                created_at=r.created_at,
                created_by=r.created_by,
            )
            for r in revisions[:limit]
        ]
        next_cursor = encode_cursor([revisions[limit - 1].revision]) if len(revisions) > limit else None
        return Page[LabelRevision](items=items, next_cursor=next_cursor)

    def render(self, ref: str | Reference, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Render a prompt version with ``variables``: ``{"text"}`` or ``{"messages"}``."""
        parsed = self.context.parse_reference(ref)
        if parsed.kind is not Kind.PROMPT:
            raise ValidationError(f"{parsed} is not a prompt", code="not_a_prompt", field="ref")
        from llm_registry.assets.templates import render_prompt

        document = self.get(parsed)
        return render_prompt(document.spec, dict(variables))


def _summary(row: AssetListRow) -> AssetSummary:
    return AssetSummary(
        kind=row.asset.kind,
        name=f"{row.asset.namespace}/{row.asset.name}",
        id=row.asset.id,
        created_at=row.asset.created_at,
        created_by=row.asset.created_by,
        latest=row.latest,
        version_count=row.version_count,
        aliases=row.aliases,
    )

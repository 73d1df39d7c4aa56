"""The writes of the SQL search index, run inside the asset service's transactions.

Every registration pays for them (see "what a registration costs" in docs/concepts.md), so
they are statements compiled once per dialect (``writes``) and run on the driver's cursor of
the transaction's own connection: a version is searchable exactly when its registration
commits. Backends differ in how the text is stored and how the text index learns which
documents are current: the hooks of SqlSearchIndexer, given by ``store_sqlite`` and
``store_postgres``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from llm_registry.assets.interfaces import AssetWriter, VersionRow
from llm_registry.assets.store_sql import PRECEDENCE_DESC
from llm_registry.search.schema import BODY_KEYS, search_documents, search_popularity
from llm_registry.storage.compiled import BulkInsert, CompiledStatement, dump_json
from llm_registry.storage.schema import dependencies, versions
from llm_registry.storage.transactions import connection_of

MAX_BODY = 200_000
_P = sa.bindparam
_JSON_KEYS = ("tags", "spec", "annotations")
_TEXT_KEYS = ("name_text", "tags_text", "description_text", "body_text")
d = search_documents
pop = search_popularity


def document_text(row: VersionRow) -> dict[str, str]:
    """The four weighted texts of a version: name, tags, description, body (cards and templates)."""
    spec = row.spec
    parts: list[str] = []
    if isinstance(row.labels.get("card"), str):
        parts.append(row.labels["card"])
    for key in ("card", "template"):
        if isinstance(spec.get(key), str):
            parts.append(spec[key])
    messages = spec.get("messages")
    if isinstance(messages, list):
        parts.extend(m["content"] for m in messages if isinstance(m, dict) and isinstance(m.get("content"), str))
    return {
        "name_text": f"{row.namespace} {re.sub(r'[-_.]', ' ', row.name)} {row.name}",
        "tags_text": " ".join(row.labels.get("tags") or []),
        "description_text": row.labels.get("description") or "",
        "body_text": "\n".join(parts)[:MAX_BODY],
    }


def _assets_of(items: Sequence[tuple[VersionRow, Sequence[str]]]) -> set[str]:
    return {row.asset_id for row, _ in items}


def _current_version_query() -> sa.Select[Any]:
    """The id of an asset's current version ("" when none): the highest active release, else
    the highest version not yanked, leaving out ``exclude``. Two walks down the precedence index,
    each stopping at its first row, rather than a sort of every version of the asset."""
    mine = sa.and_(versions.c.asset_id == _P("for_asset"), versions.c.id != _P("exclude"))
    best_release = (
        sa.select(versions.c.id)
        .where(mine, versions.c.status == "active", versions.c.is_prerelease == sa.false())
        .order_by(*PRECEDENCE_DESC)
        .limit(1)
        .scalar_subquery()
    )
    best_other = (
        sa.select(versions.c.id)
        .where(mine, versions.c.status != "yanked")
        .order_by(*PRECEDENCE_DESC)
        .limit(1)
        .scalar_subquery()
    )
    return sa.select(sa.func.coalesce(best_release, best_other, ""))


class SqlSearchIndexer:
    """Implements SearchIndexer; subclasses supply how the dialect stores the text.

    A registration inserts its document already marked current or not (the current version is
    known once its row is in ``versions``), so the text index is told of at most one other
    document, the one that stops being current.
    """

    def __init__(self) -> None:
        self._writes: dict[str, CompiledStatement] | None = None
        document = {
            "version_id": _P("version_id"),
            "asset_id": _P("asset_id"),
            "kind": _P("kind"),
            "namespace": _P("namespace"),
            "name": _P("name"),
            "version": _P("version"),
            "status": _P("status"),
            "license": _P("license"),
            "description": _P("description"),
            "tags": _P("tags", type_=d.c.tags.type),
            "spec": _P("spec", type_=d.c.spec.type),
            "annotations": _P("annotations", type_=d.c.annotations.type),
            "is_current": _P("is_current", type_=sa.Boolean),
            "created_at": _P("created_at"),
            "updated_at": _P("updated_at"),
        }
        self._document_keys = list(document)
        self._bulk: BulkInsert | None = None
        tsv = self.tsv_expression()
        text = {} if tsv is None else {"tsv": tsv}
        self._statements: dict[str, Any] = {
            "insert": d.insert().values({**document, **text}).returning(d.c.doc_id),
            # Many documents at once (batches): their ids taken first (new_doc_ids), then one
            # executemany, which the drivers run without a result to read per row.
            "insert_with_id": d.insert().values({"doc_id": _P("doc_id"), **document, **text}),
            "update": d.update()
            .where(d.c.version_id == _P("for_version"))
            .values(
                status=_P("status"),
                license=_P("license"),
                description=_P("description"),
                tags=_P("tags", type_=d.c.tags.type),
                annotations=_P("annotations", type_=d.c.annotations.type),
                updated_at=_P("updated_at"),
                **text,
            )
            .returning(d.c.doc_id, d.c.is_current),
            "current_version": _current_version_query(),
            "document_of": sa.select(d.c.doc_id).where(d.c.version_id == _P("for_version")),
            "set_current": d.update().where(d.c.doc_id == _P("doc_id")).values(is_current=_P("flag", type_=sa.Boolean)),
            # The asset's current documents (from the partial index alone).
            "current_doc_ids": sa.select(d.c.doc_id).where(
                d.c.asset_id == _P("for_asset"), d.c.is_current == sa.true()
            ),
            "add_pins": sa.text(
                "INSERT INTO search_popularity (asset_id, pins) VALUES (:asset_id, :pins)"
                " ON CONFLICT (asset_id) DO UPDATE SET pins = search_popularity.pins + excluded.pins"
            ),
            "drop_pins": pop.update()
            .where(
                pop.c.asset_id.in_(
                    sa.select(dependencies.c.target_asset_id).where(dependencies.c.version_id == _P("version_id"))
                )
            )
            .values(pins=pop.c.pins - 1),
            "delete": d.delete().where(d.c.version_id == _P("for_version")),
        }

    def writes(self, connection: sa.Connection) -> dict[str, CompiledStatement]:
        """The write statements (``statements``), compiled on first use for the connection's
        dialect; one index serves one store, so one dialect."""
        if self._writes is None:
            self._writes = {
                name: CompiledStatement(statement, connection.dialect) for name, statement in self._statements.items()
            }
        return self._writes

    def _bulk_insert(self, connection: sa.Connection) -> BulkInsert:
        """The insert of many documents (with their ids), compiled on first use."""
        if self._bulk is None:
            dialect = connection.dialect
            tsv = self.tsv_expression(lambda name: sa.literal_column(f'x."{name}"', sa.Text))
            texts = {} if tsv is None else dict.fromkeys(_TEXT_KEYS, "text")
            computed = {} if tsv is None else {"tsv": str(tsv.compile(dialect=dialect))}
            self._bulk = BulkInsert(
                d, ["doc_id", *self._document_keys], dialect, fallback=self.writes(connection)["insert_with_id"],
                inputs=texts, computed=computed,
            )
        return self._bulk

    # ------------------------------------------------------------ dialect hooks
    def new_doc_ids(self, connection: sa.Connection, count: int) -> list[int]:
        """``count`` unused document ids, ascending, for the documents a transaction inserts."""
        raise NotImplementedError

    def tsv_expression(self, text: Callable[[str], Any] = sa.bindparam) -> Any:
        """The value of ``tsv`` from the four texts, each ``text(name)`` (by default bound by
        name); None where another table holds the text."""
        return None

    def write_texts(self, connection: sa.Connection, texts: Sequence[tuple[int, dict[str, str], bool]]) -> None:
        """Store the texts of new documents: ``(doc_id, texts, is_current)``."""

    def rewrite_text(self, connection: sa.Connection, doc_id: int, text: dict[str, str], current: bool) -> None:
        """Replace the texts of a document (its labels changed)."""

    def delete_text(self, connection: sa.Connection, version_id: str) -> None:
        """Drop the texts of a version's document (before the document itself)."""

    def current_changed(self, connection: sa.Connection, changes: Sequence[tuple[int, bool]]) -> None:
        """Tell the text index which documents became current (True) or stopped being (False)."""

    # ------------------------------------------------------------------ writes
    def index_version(self, tx: AssetWriter, row: VersionRow, pinned_assets: Sequence[str]) -> None:
        self.index_versions(tx, [(row, pinned_assets)])

    def index_versions(self, tx: AssetWriter, items: Sequence[tuple[VersionRow, Sequence[str]]]) -> None:
        """Index newly registered versions (their rows already in ``versions``), each with the
        asset ids it pins: one insert (executemany for many), the text, and per asset whose
        current version is among them, one update of the document that was current."""
        if not items:
            return
        connection = connection_of(tx)
        w = self.writes(connection)
        current = {asset_id: self._current_version(connection, asset_id, "") for asset_id in _assets_of(items)}
        texts = [document_text(row) for row, _ in items]
        flags = [current[row.asset_id] == row.id for row, _ in items]
        values = [
            {**self._values(row), **text, "is_current": flag}
            for (row, _), text, flag in zip(items, texts, flags, strict=True)
        ]
        if len(values) == 1:
            doc_ids = [w["insert"].fetch(connection, self._encoded(values[0]))[0][0]]
        else:
            doc_ids = self.new_doc_ids(connection, len(values))
            self._bulk_insert(connection).execute(
                connection, [{**self._encoded(v), "doc_id": i} for v, i in zip(values, doc_ids, strict=True)]
            )
        self.write_texts(connection, list(zip(doc_ids, texts, flags, strict=True)))
        changes: list[tuple[int, bool]] = []
        for (row, _), doc_id, flag in zip(items, doc_ids, flags, strict=True):
            if flag:
                # The document that was current stops being so: found by the partial index, then
                # updated by its key (cheaper than an UPDATE … RETURNING over the index).
                marked = w["current_doc_ids"].fetch(connection, {"for_asset": row.asset_id})
                changes.extend((int(old), False) for (old,) in marked if old != doc_id)
        if changes:
            self._mark_current(connection, changes)
        pins = Counter(asset for _, pinned in items for asset in set(pinned))
        if pins:
            w["add_pins"].execute_many(connection, [{"asset_id": a, "pins": n} for a, n in sorted(pins.items())])

    def update_version(self, tx: AssetWriter, row: VersionRow) -> None:
        connection = connection_of(tx)
        text = document_text(row)
        values = {**self._values(row), **text, "for_version": row.id}
        updated = self.writes(connection)["update"].fetch(connection, self._encoded(values))
        if not updated:  # registered before the index existed: index it now
            self.index_version(tx, row, [])
            return
        ((doc_id, is_current),) = updated
        self.rewrite_text(connection, doc_id, text, bool(is_current))
        self._refresh_current(connection, row.asset_id, exclude="")

    def remove_version(self, tx: AssetWriter, row: VersionRow) -> None:
        connection = connection_of(tx)
        w = self.writes(connection)
        w["drop_pins"].execute(connection, {"version_id": row.id})
        self.delete_text(connection, row.id)
        w["delete"].execute(connection, {"for_version": row.id})
        self._refresh_current(connection, row.asset_id, exclude=row.id)

    @staticmethod
    def _values(row: VersionRow) -> dict[str, Any]:
        return {
            "version_id": row.id,
            "asset_id": row.asset_id,
            "kind": row.kind.value,
            "namespace": row.namespace,
            "name": row.name,
            "version": row.version,
            "status": row.status,
            "license": row.labels.get("license"),
            "description": row.labels.get("description"),
            "tags": list(row.labels.get("tags") or []),
            "spec": {key: value for key, value in row.spec.items() if key not in BODY_KEYS},
            "annotations": dict(row.labels.get("annotations") or {}),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    @staticmethod
    def _encoded(values: dict[str, Any]) -> dict[str, Any]:
        """``values`` for a compiled statement, which takes JSON columns as text."""
        return {**values, **{key: dump_json(values[key]) for key in _JSON_KEYS if key in values}}

    def _current_version(self, connection: sa.Connection, asset_id: str, exclude: str) -> str:
        """The id of the version a search shows for the asset ("" when none), leaving out
        ``exclude`` (a version about to go)."""
        ((version_id,),) = self.writes(connection)["current_version"].fetch(
            connection, {"for_asset": asset_id, "exclude": exclude}
        )
        return str(version_id)

    def _mark_current(self, connection: sa.Connection, changes: Sequence[tuple[int, bool]]) -> None:
        """Set ``is_current`` of documents, ``(doc_id, flag)``, and tell the text index."""
        rows = [{"doc_id": doc_id, "flag": flag} for doc_id, flag in changes]
        self.writes(connection)["set_current"].execute_many(connection, rows)
        self.current_changed(connection, changes)

    def _refresh_current(self, connection: sa.Connection, asset_id: str, *, exclude: str) -> None:
        """Mark the current version of the asset after a change of status or a delete."""
        w = self.writes(connection)
        current = self._current_version(connection, asset_id, exclude)
        marked = {int(doc_id) for (doc_id,) in w["current_doc_ids"].fetch(connection, {"for_asset": asset_id})}
        wanted = {int(doc_id) for (doc_id,) in w["document_of"].fetch(connection, {"for_version": current})}
        changes = [(doc_id, False) for doc_id in sorted(marked - wanted)]
        changes.extend((doc_id, True) for doc_id in sorted(wanted - marked))
        if changes:
            self._mark_current(connection, changes)

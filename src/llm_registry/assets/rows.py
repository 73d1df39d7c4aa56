"""A row of ``versions`` (its columns in table order, then its asset's kind, namespace and name,
then its aliases joined by commas) as a ``VersionRow``: what the SQL stores and the SQLite read
store select, decoded in one place. Imports no SQLAlchemy, for the read store's sake."""

from __future__ import annotations

from typing import Any

import orjson

from llm_registry.assets.interfaces import VersionRow
from llm_registry.domain.kinds import Kind


def load_json(value: Any) -> Any:
    """A JSON column as the driver returns it: text on SQLite, already parsed on PostgreSQL."""
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def version_row(r: Any) -> VersionRow:
    return VersionRow(
        id=r[0],
        asset_id=r[1],
        version=r[2],
        version_key=r[3],
        major=r[4],
        minor=r[5],
        patch=r[6],
        prerelease_key=r[7],
        is_prerelease=bool(r[8]),
        status=r[9],
        status_message=r[10],
        replacement=r[11],
        digest=r[12],
        document_digest=r[13],
        spec=load_json(r[14]),
        content=load_json(r[15]),
        dependencies=load_json(r[16]),
        pins=load_json(r[17]),
        provenance=load_json(r[18]),
        labels=load_json(r[19]),
        revision=r[20],
        created_at=r[21],
        created_by=r[22],
        updated_at=r[23],
        kind=Kind(r[24]),
        namespace=r[25],
        name=r[26],
        aliases=sorted(r[27].split(",")) if r[27] else [],
    )

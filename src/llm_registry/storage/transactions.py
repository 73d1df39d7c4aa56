"""The connection under a transaction the asset store opened, for the SQL stores of other domains.

Services open transactions through the asset store (``AssetStore.read()`` and ``write()``) and
hand them, typed by the plain ``AssetReader`` and ``AssetWriter`` contracts, to the stores of
search and lineage. Those stores run their statements on the transaction's own connection, so
that their reads see its writes and their writes commit or roll back with it (a registration
indexes its version in its own transaction).
"""

from __future__ import annotations

import sqlalchemy as sa


def connection_of(tx: object) -> sa.Connection:
    """The SQLAlchemy connection of a SQL store transaction; raises TypeError for any other."""
    connection = getattr(tx, "connection", None)
    if not isinstance(connection, sa.Connection):
        raise TypeError(f"{type(tx).__name__} is not a SQL transaction")
    return connection

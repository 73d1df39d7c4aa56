"""Every table of every domain, imported here so that ``metadata`` is complete.

Domains declare their tables in their own ``schema`` module on the shared ``metadata``;
migrations and schema checks import this module, never a domain's one directly.
"""

import llm_registry.accounts.schema  # declares the accounts tables
import llm_registry.governance.schema  # declares the evaluations, approvals and registration counts
import llm_registry.integrity.blob_schema  # declares version_files
import llm_registry.integrity.trust.schema  # declares the signers, signatures and provenance tables
import llm_registry.search.schema  # noqa: F401  (declares the search tables; both imports bind one name)
from llm_registry.storage.schema import metadata

# Virtual tables (SQLite FTS5 and its shadow tables) that no SQLAlchemy model describes;
# schema comparisons skip names with these prefixes.
UNMODELLED_TABLE_PREFIXES: tuple[str, ...] = ("search_fts",)

__all__ = ["UNMODELLED_TABLE_PREFIXES", "metadata"]

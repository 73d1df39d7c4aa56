"""Lineage over pinned dependencies: upstream, downstream, impact and lockfiles (§2.2)."""

"""Full-text and faceted search over versions, in the registry's own database (§2.3)."""

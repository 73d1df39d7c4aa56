"""Integrity (DESIGN §2.4): content-addressed blobs, push and pull, signatures, provenance, trust."""

"""Assets and their versions: documents, spec validation, storage and the service."""

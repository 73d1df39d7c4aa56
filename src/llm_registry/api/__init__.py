"""Network transports over the services. ``api.rest`` is the REST API v1 (FastAPI)."""

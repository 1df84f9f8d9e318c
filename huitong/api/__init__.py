"""The REST API (FastAPI); OpenAPI at ``/api/docs``."""

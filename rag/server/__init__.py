"""Stage 5: the HTTP API (FastAPI app, routes, guards, schemas) and its client."""

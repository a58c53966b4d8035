"""HTTP and WebSocket API (FastAPI): commands, queries, accounts, tips, live feed."""

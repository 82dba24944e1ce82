"""Serve the items API on http://127.0.0.1:8000 with the providers the environment names."""

import uvicorn

from .app import create_app

uvicorn.run(create_app(), host="127.0.0.1", port=8000)

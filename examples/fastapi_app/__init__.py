"""A small FastAPI application on hexkit: items with CRUD and keyset-paged listing.

``models`` holds the DTOs, ``app`` the endpoints and :func:`~fastapi_app.app.create_app`,
which wires them to the providers named in the settings (``DAO_PROVIDER``, default
``memory``). Run it with ``PYTHONPATH=examples python -m fastapi_app``.
"""

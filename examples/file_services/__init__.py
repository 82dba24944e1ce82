"""Reference file services built on hexkit's protocols: upload, registry, download.

Each service splits into a ``core`` (imports only ``hexkit.protocols`` and its own
models), ``adapters`` (REST inbound, HTTP outbound) and ``wiring`` (providers by name).
"""

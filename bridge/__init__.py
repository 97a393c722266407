"""Everything that faces the outside: the CLI, the daemon, its gateway and client."""
from __future__ import annotations

__all__ = ["Client"]


def __getattr__(name: str):
    # Lazy so `dubline srt` (no server) never imports grpc.
    if name == "Client":
        from .client import Client

        return Client
    raise AttributeError(name)

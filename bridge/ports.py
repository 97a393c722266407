"""The daemon's default ports, apart from the server so the command line reads them cheaply."""

DEFAULT_PORT = 50151  # gRPC
DEFAULT_BRIDGE_PORT = 50152  # the JSON bridge (HTTP + WebSocket)

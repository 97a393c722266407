"""A second ``dubline serve`` on a busy port says so in one line (issue 16), either port."""
import socket

import pytest

from cli_door import dubline, one_error


@pytest.mark.parametrize("which", ["--port", "--bridge-port"])
def test_serve_on_a_busy_port(tmp_path, which):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        ports = ["--port", port, "--bridge-port", "-1"] if which == "--port" else ["--port", "0", "--bridge-port", port]
        r = dubline("serve", *ports, "--state-dir", "state", "--token-file", "token", "--output-root", "root",
                    cwd=tmp_path, timeout=60)
    assert r.returncode == 1
    line = one_error(r)
    assert f"127.0.0.1:{port}: the port is in use" in line and f"give another {which}" in line

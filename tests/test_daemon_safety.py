"""Token file, loopback default and path confinement, unit by unit."""
from __future__ import annotations

import logging
import os

import grpc
import pytest
from daemon_util import RunningDaemon
from dubline.bridge.auth import bearer_ok, ensure_token, read_token
from dubline.bridge.confine import confine
from dubline.bridge.errors import ServiceError
from dubline.bridge.gateway import origin_allowed
from dubline.bridge.server import ServerOptions, is_loopback


def test_token_created_0600_once_and_tightened(tmp_path):
    path = tmp_path / "cfg" / "dubline" / "token"
    token = ensure_token(path)
    assert len(token) >= 32 and (os.stat(path).st_mode & 0o777) == 0o600
    assert ensure_token(path) == token == read_token(path)
    os.chmod(path, 0o644)
    assert ensure_token(path) == token and (os.stat(path).st_mode & 0o777) == 0o600
    assert bearer_ok(f"Bearer {token}", token) and not bearer_ok(token, token) and not bearer_ok(None, token)


def test_confine_refuses_escapes(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    assert confine(root, "a/b") == (root / "a" / "b").resolve()
    (root / "out").symlink_to(tmp_path)
    for bad in ("../x", "/abs", "a/../../x", "C:/x", "out/x", "..\\x"):
        with pytest.raises(ServiceError) as e:
            confine(root, bad)
        assert e.value.code == grpc.StatusCode.PERMISSION_DENIED, bad


def test_loopback_by_default_and_loud_otherwise(tmp_path, caplog):
    assert ServerOptions().host == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    from dubline.bridge.server import ServeError

    with pytest.raises(ServeError, match="--allow-remote"):
        RunningDaemon(tmp_path / "refused", host="0.0.0.0", bridge_port=None)
    with caplog.at_level(logging.WARNING, logger="dubline.bridge.server"):
        d = RunningDaemon(tmp_path, host="0.0.0.0", bridge_port=None, allow_remote=True)
        d.stop()
    assert any("NOT LOOPBACK" in r.getMessage() for r in caplog.records)


def test_origins():
    assert origin_allowed(None) and origin_allowed("uxp://x") and not origin_allowed("null")
    assert origin_allowed("http://localhost:8080") and origin_allowed("http://[::1]:1")
    assert not origin_allowed("https://evil.example") and not origin_allowed("http://localhost.evil.example")


def test_resume_key_follows_reference_content_not_path(tmp_path):
    from fractions import Fraction

    from dubline.bridge.jobs import line_key
    from dubline.core.engines.base import Voice
    from dubline.core.lines import Line
    from dubline.core.render import DubOptions, Slot
    from dubline.core.timebase import TimeRange

    ref = tmp_path / "ref.wav"
    ref.write_bytes(b"first take")
    line = Line("1", "Hello there.", TimeRange(0, 1000, Fraction(1000)))
    slot = Slot(line, Voice("anna", "indextts2", "en", reference=ref), 0, 48000, 0, tmp_path / "1.wav")
    options = DubOptions(tmp_path)
    before = line_key(slot, options)
    assert line_key(slot, options) == before
    ref.write_bytes(b"a different voice")
    assert line_key(slot, options) != before

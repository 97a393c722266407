"""Keep native runtimes' informational chatter off the terminal unless logging is verbose.

LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++ straight to
file descriptor 2 the first time a model allocates its tensors, ignoring Python logging and
TF_CPP_MIN_LOG_LEVEL. Around that first call only, descriptor 2 points at /dev/null unless
the ``dubline`` logger shows INFO (``dubline -v``); errors still surface as exceptions.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_quieted = False  # the runtime logs its delegate once per process: only the first call needs it


@contextmanager
def first_allocation_quiet() -> Iterator[None]:
    global _quieted
    if _quieted or logging.getLogger("dubline").isEnabledFor(logging.INFO):
        yield
        return
    with _lock:
        try:
            saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
        except OSError:  # no descriptor 2 to swap (embedded interpreters): nothing to hide
            yield
            return
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
            _quieted = True

"""IndexTTS2: cloned voices with emotion and exact duration (the optional GPU engine).

One module per job: ``layout`` finds the checkpoint files, ``imports`` loads the indextts
packages without their ``__init__``, ``model`` runs the networks stage by stage (``model25``
and ``text25``: IndexTTS-2.5's, chosen by config.yaml's version), ``engine`` is the Dubline
``Engine``, ``emotion`` picks and normalises the emotion control,
``conditioning`` caches what reference clips encode to, ``fbank`` replaces torchaudio's
Kaldi filterbank, ``text`` normalises text without nemo, ``timing`` turns tokens into
frames. Importing this package imports no torch: ``options`` is all the CLI needs.
"""
from .options import IndexTTS2Options

__all__ = ["IndexTTS2Options"]

"""The real-world corpus through the CLI: every file dubbed exactly or refused clearly, none wrong.

Files, their options and what each shows: tests/data/realworld/ (SOURCES.md and the *.toml
manifests); the classification: tests/realworld.py. CI dubs the first line of each
timeline (``dubline otio --first 1``); ``python -m tests.bench`` runs every line.
"""
import pytest

from tests import realworld

ENTRIES = realworld.entries()


def _id(entry: realworld.Entry) -> str:
    return " ".join([entry.path.name, *entry.args]) or entry.path.name


@pytest.fixture(scope="module")
def voice_model(piper):
    with realworld.one_voice_model(piper) as engine:
        yield engine


@pytest.mark.parametrize("entry", ENTRIES, ids=[_id(e) for e in ENTRIES])
def test_corpus_file(entry, voice_model, tmp_path):
    outcome = realworld.run(entry, tmp_path / "out", first=1)
    assert outcome.verdict != "wrong", f"{_id(entry)}: {outcome.detail}\n{outcome.stderr[-2000:]}"


def test_corpus_covers_every_format_and_both_outcomes():
    kinds = {(e.kind, e.expect) for e in ENTRIES}
    for kind in ("otio", "fcp7", "edl"):
        assert (kind, "dubbed") in kinds and (kind, "error") in kinds, kind
    assert all(e.quirk for e in ENTRIES if e.command == "otio"), "every timeline entry says its quirk"

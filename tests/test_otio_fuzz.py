"""Property: whatever a timeline file holds, reading it ends in lines or a DublineError.

A valid .otio (dialogue track, markers, a trimmed nested stack, a transition) has values at
random places replaced by hostile ones (NaN, infinities, huge numbers, wrong types, nulls).
Bounded to ~2 s in CI (DUBLINE_FUZZ_EXAMPLES raises it, e.g. from the bench).
"""
import json
import os
import tempfile
from pathlib import Path

import opentimelineio as otio
from hypothesis import HealthCheck, given, settings, strategies as st

from dubline.core.errors import DublineError
from dubline.core.otio_read import OtioReadOptions, read_otio
from dubline.core.timebase import FrameRate

from tests.otio_fixtures import dialogue_timeline, marker_timeline, nested_timeline

EXAMPLES = int(os.environ.get("DUBLINE_FUZZ_EXAMPLES", "120"))


def _document() -> dict:
    rate = FrameRate.parse("24000/1001")
    tl = dialogue_timeline(rate)
    tl.tracks.markers.append(otio.schema.Marker(name="Marked.", marked_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(10, 24000 / 1001), otio.opentime.RationalTime(20, 24000 / 1001)),
        metadata={"dubline": {"emotion": {"vector": [0, 1, 0, 0, 0, 0, 0, 0]}}}))
    for track in nested_timeline(rate).tracks:
        tl.tracks.append(track.clone())
    for track in marker_timeline(rate).tracks:
        tl.tracks.append(track.clone())
    return json.loads(otio.adapters.write_to_string(tl, "otio_json"))


DOCUMENT = _document()


def _slots(node, path=()):
    """Every place in the document a value can be swapped: (path to its container, key)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key
            yield from _slots(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield path, i
            yield from _slots(value, path + (i,))


SLOTS = list(_slots(DOCUMENT))
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, 2840.33, -24.0, 0.5, 23.976, 29.97]),
    st.text(max_size=6), st.lists(st.integers(-3, 3), max_size=9),
    st.dictionaries(st.sampled_from(["text", "id", "emotion", "preset", "vector", "value", "rate"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
)


def _mutated(changes) -> dict:
    doc = json.loads(json.dumps(DOCUMENT))
    for index, value in changes:
        path, key = SLOTS[index % len(SLOTS)]
        node = doc
        try:
            for step in path:
                node = node[step]
            node[key] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    return doc


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SLOTS) - 1), HOSTILE), min_size=1, max_size=4),
       st.booleans())
def test_otio_reader_never_escapes(changes, markers):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.otio"
        path.write_text(json.dumps(_mutated(changes), allow_nan=True))
        try:
            found = read_otio(path, OtioReadOptions(markers=markers))
        except DublineError as e:
            assert str(e).strip() and "fuzz.otio" in str(e)
            return
    for line in found.lines:
        assert line.range.end > line.range.start >= 0 and line.text.strip()

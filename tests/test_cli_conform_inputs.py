"""``dubline conform OLD NEW`` takes any input Dubline reads, and the timelines Dubline
writes read back as the lines they were made from (issue 16). Through the console script."""
import re
import shutil

import pytest

from cli_door import SCENE, dubline


def _kinds(stdout: str) -> dict[str, str]:
    """conform's summary: kind -> 'count  ids'."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\s*(\w+):\s+(\d+.*)$", stdout, re.M)}


@pytest.fixture(scope="module")
def first_dub(tmp_path_factory):
    root = tmp_path_factory.mktemp("conform_inputs")
    (root / "scene.srt").write_text(SCENE)
    r = dubline("-q", "srt", "scene.srt", "-o", "first", "--fps", "25", "--timeline", "otio,fcp7", cwd=root)
    assert r.returncode == 0, r.stderr
    assert (root / "first" / "dub.otio").is_file() and (root / "first" / "dub.xml").is_file()
    return root


@pytest.mark.parametrize("old,new,extra", [
    ("scene.srt", "first/dub.otio", ["--fps", "25"]),   # subtitles against the OTIO it produced
    ("first/dub.otio", "first/dub.xml", []),            # the OTIO against the FCP 7 XML
])
def test_written_timelines_read_back_as_the_same_lines(first_dub, old, new, extra):
    out = f"again_{new.rsplit('.', 1)[1]}"
    r = dubline("-q", "conform", old, new, "-o", out, *extra, cwd=first_dub)
    assert r.returncode == 0, r.stderr
    kinds = _kinds(r.stdout)
    assert kinds["unchanged"] == "3", r.stdout
    assert all(kinds[k] == "0" for k in ("added", "removed", "changed", "retimed", "moved")), r.stdout


def test_conform_the_sample_otio_against_the_sample_fcp7_xml(tmp_path, samples):
    for name in ("cut_v1.otio", "cut_v2.xml"):
        shutil.copy(samples / name, tmp_path)
    r = dubline("-q", "conform", "cut_v1.otio", "cut_v2.xml", "-o", "out", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    kinds = _kinds(r.stdout)
    assert kinds["changed"] == "1  SC01-003" and kinds["retimed"] == "1  SC01-004"
    assert kinds["moved"] == "1  SC01-005" and kinds["unchanged"] == "2"
    assert sorted(p.name for p in (tmp_path / "out" / "lines").iterdir()) == [
        f"SC01-00{i}.wav" for i in range(1, 6)]

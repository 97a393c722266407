"""CI smoke of ``python -m tests.bench.speed table``: two English lines, one repetition.

Runs the real table end to end (``dubline srt``, the limit and the peers' method as fresh
processes, the model-run counter) so the bench cannot rot between the runs that fill the
README's figures. No timing is asserted: on a shared CI machine the ratios mean nothing.
"""
import json

from tests.bench.speed_table import main


def test_speed_table_runs_every_program_and_writes_its_table(tmp_path, capsys):
    assert main(["--reps", "1", "--lines", "2", "--no-samples", "-o", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "speed.json").read_text())
    row = results["2 English lines"]
    for program in ("dubline", "limit", "peer"):
        assert row["median"][program]["cpu"] > 0 and row["median"][program]["rss_mb"] > 0
    assert row["first_line"] is not None  # a stem was seen landing before the job ended
    assert row["calls"]["per_line"] == {"piper-durations": 1.0, "piper-full": 1.0}
    table = (tmp_path / "speed.md").read_text()
    assert "| 2 English lines | 1 |" in table and table in capsys.readouterr().out

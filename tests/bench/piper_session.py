"""onnxruntime session options for the Piper voice, side by side in one process.

    python -m tests.bench.piper_session [--sentences 20] [--reps 2]

Four sessions of the same voice (memory arena on/off x pool threads spinning on/off) each
synthesize the same sentences, interleaved so load on the machine falls on all alike; the
table gives CPU and wall seconds and their ratio to onnxruntime's defaults (arena on,
spinning on), and whether every variant made the same samples as the defaults.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

VARIANTS = {
    "defaults": {},
    "no arena": {"enable_cpu_mem_arena": False},
    "no spinning (Dubline)": {"allow_spinning": False},
    "neither": {"enable_cpu_mem_arena": False, "allow_spinning": False},
}


def _engine(settings: dict):
    """A Piper engine whose sessions take ``settings`` instead of Dubline's own options."""
    from dubline.core.catalog import Catalog
    from dubline.core.engines.piper import graph

    def options(ort_module):
        opts = ort_module.SessionOptions()
        opts.log_severity_level = 3
        opts.enable_cpu_mem_arena = settings.get("enable_cpu_mem_arena", True)
        if not settings.get("allow_spinning", True):
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    saved = graph._options
    graph._options = options
    try:
        catalog = Catalog()
        return catalog.engine("piper"), catalog.voice("en-joe")
    finally:
        graph._options = saved


def main(argv: list[str] | None = None) -> int:
    from dubline.core.engines.base import SynthesisControls

    from .inputs import SENTENCES

    ap = argparse.ArgumentParser(prog="python -m tests.bench.piper_session")
    ap.add_argument("--sentences", type=int, default=20)
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args(argv)
    engines = {name: _engine(settings) for name, settings in VARIANTS.items()}
    cpu = dict.fromkeys(VARIANTS, 0.0)
    wall = dict.fromkeys(VARIANTS, 0.0)
    same = dict.fromkeys(VARIANTS, True)
    for _ in range(args.reps):
        for text in SENTENCES[: args.sentences]:
            reference = None
            for name, (engine, voice) in engines.items():
                c, w = time.process_time(), time.perf_counter()
                take = engine.synthesize(text, voice, SynthesisControls())
                cpu[name] += time.process_time() - c
                wall[name] += time.perf_counter() - w
                reference = take.audio if reference is None else reference
                same[name] = same[name] and np.array_equal(take.audio, reference)
    print(f"{args.sentences} sentences x {args.reps}, interleaved\n")
    print("| session | CPU s | wall s | CPU / defaults | wall / defaults | same samples |")
    print("|---|---|---|---|---|---|")
    for name in VARIANTS:
        print(f"| {name} | {cpu[name]:.2f} | {wall[name]:.2f} | {cpu[name] / cpu['defaults']:.2f} "
              f"| {wall[name] / wall['defaults']:.2f} | {'yes' if same[name] else 'no'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

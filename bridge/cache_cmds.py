"""``dubline cache info`` and ``dubline cache prune``: the synthesis cache's size, trimmed
by age or total size. Registered from ``cli.build_parser``."""
from __future__ import annotations

import argparse
from pathlib import Path

from dubline.core.cache import default_audio_cache
from dubline.core.errors import InputError
from dubline.bridge.usage import UsageError


def _folder(args: argparse.Namespace) -> Path:
    folder = Path(args.cache_dir) if args.cache_dir else default_audio_cache()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--cache-dir {folder} is a file; give the cache folder")
    return folder


def cmd_cache_info(args: argparse.Namespace) -> int:
    from dubline.core.cache_prune import usage

    print(usage(_folder(args)).summary())
    return 0


def cmd_cache_prune(args: argparse.Namespace) -> int:
    from dubline.core.cache_prune import format_size, parse_age, parse_size, prune

    if args.older_than is None and args.max_size is None:
        raise UsageError("cache prune needs --older-than AGE (e.g. 30d) or --max-size SIZE (e.g. 2G), or both")
    try:
        age = parse_age(args.older_than) if args.older_than is not None else None
        size = parse_size(args.max_size) if args.max_size is not None else None
    except InputError as e:
        raise UsageError(f"--{'older-than' if 'age' in str(e) else 'max-size'}: {e}") from None
    done = prune(_folder(args), older_than=age, max_bytes=size)
    print(f"removed {done.files} files ({format_size(done.bytes)}); {done.left.summary()}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("cache", help="show or prune the synthesis cache (rendering reuses it to skip the model)")
    cache_sub = p.add_subparsers(dest="cache_command", required=True)
    for name, func, help_text in (
        ("info", cmd_cache_info, "where the cache is, how many files and how large"),
        ("prune", cmd_cache_prune, "remove entries by age and/or until under a size; they are re-made when needed"),
    ):
        c = cache_sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("--cache-dir", type=Path, default=None,
                       help=f"the cache folder (default: {default_audio_cache()})")
        if name == "prune":
            c.add_argument("--older-than", metavar="AGE",
                           help="remove entries last written longer ago than AGE: 30d, 12h, 2w, 90m")
            c.add_argument("--max-size", metavar="SIZE",
                           help="then remove the oldest entries until the cache is at most SIZE: 2G, 500M")
        c.set_defaults(func=func)

"""Python's garbage collector, set for a long-running bot once it has started.

google-genai and pydantic build hundreds of short-lived objects for every Gemini call (request
models, response models, their validators' copies), python-telegram-bot a tree of objects for
every update and every answer. With Python's default (a young-generation collection every 700
allocations more than deallocations) the collector ran many times per message, and each of its
middle and full collections walked every object the bot holds: the modules, Mem0, the SDK clients,
the caches. Measured with `bench/message_cost.py` (BENCHMARKS.md, issue 23): 15-20 % of the bot's
CPU per message went to that.

So, once start-up is done: collect what start-up left, move everything that survives out of the
collector's sight (`gc.freeze`: it is the bot's own long-lived state), and collect young objects
every `YOUNG_OBJECTS` allocations. Cyclic garbage still goes, a little later; reference counting
frees everything else at once, as before.
"""

from __future__ import annotations

import gc

# Net allocations between two young-generation collections (Python's default: 700).
YOUNG_OBJECTS = 10_000


def settle_after_start() -> None:
    """Call once, when the bot has started: collect, freeze the survivors, collect young objects
    less often (the middle and old generations' thresholds stay as they are)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, old)

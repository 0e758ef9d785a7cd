"""The garbage collector is set for a long-running bot once it has started."""

from __future__ import annotations

import gc
import weakref

from bot.runtime.collector import YOUNG_OBJECTS, settle_after_start


def test_start_up_state_is_frozen_and_young_objects_are_collected_less_often() -> None:
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 0  # start-up's survivors are out of the collector's sight
        assert gc.get_count()[2] == 0  # and it collected everything first
        assert gc.get_threshold() == (YOUNG_OBJECTS, *threshold[1:])
        assert threshold[0] < YOUNG_OBJECTS
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_cyclic_garbage_is_still_collected_by_itself() -> None:
    """A cycle made after start-up goes once enough objects were made since, with no explicit
    collection: the collector still runs, only less often."""
    threshold = gc.get_threshold()
    try:
        settle_after_start()

        class Node:
            other: object = None

        first, second = Node(), Node()
        first.other, second.other = second, first
        gone = weakref.ref(first)
        del first, second
        assert gone() is not None  # a cycle: reference counting alone never frees it
        # enough allocations for a middle collection too, should the cycle have been promoted to it
        kept: list[list[int]] = [[] for _ in range(12 * YOUNG_OBJECTS)]
        assert gone() is None
        del kept
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)

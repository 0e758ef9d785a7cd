"""Reminders and check-ins coming back from an /export file (/import): each keeps its text, time
zone and repetition; one already scheduled (same kind, text and repetition) is not added twice,
a one-off whose time has passed is dropped, a repeating one goes on from its next firing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bot.followup.service import MAX_REMINDERS_PER_CHAT
from bot.followup.when import next_firing
from bot.records import is_timezone
from bot.runtime.clock import Clock
from bot.store.reminder_tables import Reminders

logger = logging.getLogger(__name__)

TEXT_CHARS = 500


async def restore_reminders(
    table: Reminders,
    chat_id: int,
    rows: Sequence[Mapping[str, Any]],
    apply: bool = True,
    *,
    clock: Clock,
    wake: Callable[[], None],
) -> int:
    """Add the export's reminders the chat does not have yet; return how many were added (without
    `apply`: how many would be)."""
    now = datetime.fromtimestamp(clock.now(), UTC)
    current = await table.for_chat(chat_id)
    have = {(r.kind, r.text, r.rule) for r in current}
    room = MAX_REMINDERS_PER_CHAT - len(current)
    added = 0
    for row in rows:
        found = _schedule(row, now)
        if found is None or added >= room:
            continue
        kind, text, rule, tz, due, start_local = found
        if (kind, text, rule) in have:
            continue
        have.add((kind, text, rule))
        added += 1
        if not apply:
            continue
        await table.add(
            chat_id,
            text,
            due.timestamp(),
            now=now.timestamp(),
            kind=kind,
            rule=rule,
            start_local=start_local,
            tz=tz,
        )
    if added and apply:
        wake()
    return added


def _schedule(
    row: Mapping[str, Any], now: datetime
) -> tuple[Any, str, str | None, str, datetime, str | None] | None:
    """(kind, text, rule, time zone, next firing, local start) of an exported row; None when it is
    unusable or a one-off already past."""
    kind, text, rule, tz = row.get("kind"), row.get("text"), row.get("repeats"), row.get("time_zone")
    if kind not in ("reminder", "checkin") or not isinstance(text, str) or not text.strip():
        return None
    if not isinstance(tz, str) or not is_timezone(tz) or (rule is not None and not isinstance(rule, str)):
        return None
    try:
        due = datetime.fromisoformat(str(row.get("next_at")))
    except ValueError:
        return None
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    if not rule:
        return (kind, text.strip()[:TEXT_CHARS], None, tz, due, None) if due > now else None
    # The rule goes on from its next firing, in the person's wall-clock time.
    start_local = due.astimezone(ZoneInfo(tz)).replace(tzinfo=None).isoformat()
    try:
        rrulestr(rule, dtstart=datetime.fromisoformat(start_local))
        if due <= now:
            later = next_firing(rule, start_local, tz, now)
            if later is None:
                return None
            due = later
    except (ValueError, TypeError):
        logger.info("an exported reminder's repetition could not be read; skipped")
        return None
    return kind, text.strip()[:TEXT_CHARS], rule, tz, due, start_local

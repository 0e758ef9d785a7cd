"""Messages that are not text: voice notes, audio files, round videos and pictures are understood
(downloaded, then answered by the advisor with the file); anything else gets a short note of what
the bot understands. Limits are checked before anything is downloaded."""

from __future__ import annotations

import functools
import logging
import re

from telegram import Message, Update

from bot.records import INLINE_LIMIT, Media
from bot.telegram.addressing import addressed_text, counted_as, is_group, is_pseudo_sender
from bot.telegram.attachments import (
    ALBUM_TOO_BIG_REPLY,
    DOWNLOAD_FAILED_REPLY,
    NOT_UNDERSTOOD,
    AlbumTooBig,
    Attachment,
    DownloadFailed,
    Refusal,
    attachment_of,
)
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.replies import DraftStream, send_long, typing

logger = logging.getLogger(__name__)

NON_TEXT_REPLY = Refusal(NOT_UNDERSTOOD, understood=True)
HEARD_PREFIX = "🎙 I heard: "
_MARKDOWN = re.compile(r"([\\`*_\[\]()~>#+\-=|{}.!<])")


async def on_media(update: Update, context: BotContext) -> None:
    """Answer a voice note, audio file, round video or picture (an album once); refuse the rest."""
    message = update.message
    if message is None:
        return
    found = attachment_of(message, max_voice_seconds=context.settings.max_voice_seconds)
    if found is None or isinstance(found, Refusal):
        # In groups only messages addressed to the bot get here (the gate); a note for each of
        # them would be noise when it is not even a file.
        if found is not None or message.chat.type == message.chat.PRIVATE:
            refusal = found if found is not None else NON_TEXT_REPLY
            await send_long(context, message, refusal.text(await context.words(update)))
        return
    # Counted on arrival: a /forget confirmed while this is collected, downloaded or answered wins.
    erasures = context.advisor.erasures_of(message.chat_id)
    if message.media_group_id is None:
        await _answer(update, context, message, [found], erasures)
        return
    async with context.deps.media.albums.collect(
        message.chat_id, message.media_group_id, (message, found)
    ) as members:
        if members is None:
            return  # answered with the album's first message
        members.sort(key=lambda member: member[0].message_id)
        # The caption of an album sits on one of its messages (usually the first).
        leader = next((m for m, _ in members if m.caption), members[0][0])
        await _answer(update, context, leader, [attachment for _, attachment in members], erasures)


async def _answer(
    update: Update, context: BotContext, message: Message, attachments: list[Attachment], erasures: int
) -> None:
    # The caption as meant for the bot (a group's @mention removed); `message` may be another
    # message of the album than the one this update brought.
    caption = (addressed_text(message, context.bot.bot) if is_group(message.chat) else message.caption) or ""
    # Anonymous admins and channels are many people at once: their words are never stored.
    remember = not (is_group(message.chat) and is_pseudo_sender(message))
    total = sum(a.size or 0 for a in attachments)
    album = len(attachments) > 1
    if album and total > INLINE_LIMIT:  # declared sizes: refused before any download
        await _album_too_big(update, context, message, total)
        return
    downloader = context.deps.media.downloader
    spoken = any(a.kind != "image" for a in attachments)
    private = message.chat.type == message.chat.PRIVATE
    stream = context.settings.stream_replies and private and not spoken
    draft = DraftStream(context, message.chat_id, draft_id=message.message_id) if stream else None
    async with typing(context, message.chat_id), context.deps.media.slots:
        try:
            # sizes Telegram did not declare are held to the limit on the bytes actually read
            media: list[Media] = await downloader.fetch_all(
                attachments, limit=INLINE_LIMIT if album else None
            )
        except AlbumTooBig as exc:
            await _album_too_big(update, context, message, exc.read)
            return
        except DownloadFailed as exc:
            logger.warning("chat %s: %s", message.chat_id, exc)
            await send_long(context, message, (await context.words(update)).gettext(DOWNLOAD_FAILED_REPLY))
            return
        with_previews = all(a.kind == "image" and a.preview_file_id for a in attachments)
        try:
            answer = await context.advisor.answer(
                message.chat_id,
                caption,
                media=media,
                previews=functools.partial(downloader.previews, attachments) if with_previews else None,
                on_text=draft.update if draft else None,
                remember=remember,
                # counted before the reply is sent: the tokens are spent, sent or not
                usage_user=counted_as(message),
                erasures=erasures,
            )
        finally:
            media.clear()  # the bytes are not needed any more (a description holds its own list)
            if draft is not None:
                await draft.close()
    prefs = await context.chats.get_prefs(message.chat_id)
    # The model's words are the model's; the stand-ins for no answer are ours, in the person's language.
    text = answer.text if answer.generated else (await context.words(update, prefs)).gettext(answer.text)
    if answer.heard and prefs.heard == "on":
        # The person's words, shown as they are: no Markdown of theirs becomes formatting.
        heard = _MARKDOWN.sub(r"\\\1", answer.heard)
        text = f"{HEARD_PREFIX}{heard}\n\n{text}"
    await send_long(context, message, text)


async def _album_too_big(update: Update, context: BotContext, message: Message, size: int) -> None:
    values = {"size": f"{size / 2**20:.1f}", "limit": str(INLINE_LIMIT // 2**20)}
    await send_long(context, message, Refusal(ALBUM_TOO_BIG_REPLY, values).text(await context.words(update)))

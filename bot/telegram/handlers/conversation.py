"""Plain text messages, answered by the advisor (streamed in private chats); media: media_messages.py."""

from __future__ import annotations

from telegram import Message, Update

from bot.advisor.pipeline import Answer
from bot.telegram.addressing import counted_as, is_group, is_pseudo_sender
from bot.telegram.handlers.context import BotContext
from bot.telegram.handlers.reminders import offer
from bot.telegram.handlers.replies import DraftStream, Typing, send_long


async def on_text(update: Update, context: BotContext) -> None:
    """Answer a text message with the advisor's reply, streaming it as a draft in private chats."""
    message = update.message
    if message is None or message.text is None:
        return
    text = context.addressed_text  # the gate worked it out (a group's @mention removed)
    # Anonymous admins and channels are many people at once: their words are never stored.
    remember = not (is_group(message.chat) and is_pseudo_sender(message))
    if not text:
        return
    private = message.chat.type == message.chat.PRIVATE
    await context.followup.note_message(message.chat_id)
    # "remind me to stretch every evening at 9": confirmed with Yes / No instead of an answer.
    proposal = None
    # Most messages hold no reminder: the chat's language is not even looked up for them.
    if private and context.followup.may_propose_reminder(text):
        proposal = await context.followup.propose_reminder(
            message.chat_id, text, await context.words(update), speaks=_speaks(message)
        )
    if proposal is not None:
        await offer(message, proposal, await context.words(update))
        return
    stream = context.settings.stream_replies and message.chat.type == message.chat.PRIVATE
    draft = DraftStream(context, message.chat_id, draft_id=message.message_id) if stream else None
    typist = Typing(context, message.chat_id)

    async def deliver(answer: Answer) -> None:
        await _quiet(typist, draft)
        # The model's words are the model's; the stand-ins for no answer are ours, in the person's language.
        reply = answer.text if answer.generated else (await context.words(update)).gettext(answer.text)
        await send_long(context, message, reply)

    try:
        await context.advisor.answer(
            message.chat_id,
            text,
            on_text=draft.update if draft else None,
            remember=remember,
            # counted whether the reply reaches the person or not: the tokens are spent
            usage_user=counted_as(message),
            # ✍ on the message once what it said is remembered: private chats only
            acknowledge=message.message_id if message.chat.type == message.chat.PRIVATE else None,
            deliver=deliver,
        )
    finally:
        await _quiet(typist, draft)
    # A goal with a date or a plan ("10k race on 14 March"): perhaps one check-in offer.
    if private:
        t = await context.words(update)
        checkin = await context.followup.propose_checkin(message.chat_id, text, t, speaks=_speaks(message))
        if checkin is not None:
            await offer(message, checkin, t)


async def _quiet(typist: Typing, draft: DraftStream | None) -> None:
    """Before the reply (and in any case at the end): no more "typing…", no more drafts."""
    await typist.stop()
    if draft is not None:
        await draft.close()


def _speaks(message: Message) -> str | None:
    """The sender's Telegram language, kept with a reminder or check-in for what is sent later."""
    return message.from_user.language_code if message.from_user else None

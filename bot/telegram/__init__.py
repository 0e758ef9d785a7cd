"""Everything that imports python-telegram-bot: handlers, inbox and polling, webhook, ordering, sending."""

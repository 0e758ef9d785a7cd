"""Reminders and check-ins: parsing, the durable scheduler, offers. No Telegram imports."""

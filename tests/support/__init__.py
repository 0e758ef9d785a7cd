"""What the tests share: one settings factory, one set of chat helpers, the bot harness."""

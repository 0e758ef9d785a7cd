"""The product, free of Telegram: recall, prompts, the answer pipeline, extraction and the memory writer."""

"""Process plumbing every layer may use: logging, the DATA_DIR lock, HTTP sessions, task helpers."""

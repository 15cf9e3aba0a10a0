"""Background jobs: plain, idempotent functions of ids, run by `flask worker` (RQ)."""

"""Reimagine Review, the application. The factory is `review.app.create_app`.

The parts, and the one way their imports flow, are described in docs/architecture.md.
"""

"""Jobs of network affirmation: announce an opened window, close it at its deadline."""


def announce_opened(window_id: int) -> None:
    """Tell every eligible member (and partners, for feedback) that a window opened."""


def close_window(window_id: int) -> None:
    """Close the window if its deadline has passed and it is still open; idempotent."""

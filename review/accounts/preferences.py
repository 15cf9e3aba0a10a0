"""What a person chooses to receive: network email frequency, pillars followed, unsubscribing."""

import sqlalchemy as sa

from models import Pillar, User
from models.base import db
from models.enums import NetworkPreference


def set_preferences(user: User, preference: NetworkPreference, pillar_ids: list[int]) -> None:
    """Save how often network email comes and which pillars' new studies to hear of; flush."""
    user.network_preference = NetworkPreference(preference)
    wanted = set(pillar_ids)
    user.followed_pillars = (
        list(
            db.session.scalars(
                sa.select(Pillar).where(Pillar.id.in_(wanted)).order_by(Pillar.position)
            )
        )
        if wanted
        else []
    )
    db.session.flush()


def unsubscribe(user: User) -> None:
    """Turn network email off (the one-click unsubscribe); flush, never commit."""
    user.network_preference = NetworkPreference.off
    db.session.flush()

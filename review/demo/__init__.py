"""Demo data for `flask seed-demo`: the pillars, people in every role, and their sign-ins."""

import sqlalchemy as sa

from models import CochairAssignment, User
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from models.pillar import seed_pillars
from review.demo.library import seed_library
from review.demo.rich import seed_demo_rich
from review.demo.spanish import seed_spanish
from review.demo.workflow import seed_workflow
from review.infra.passwords import hash_password

PASSWORD = "reimagine-demo"

SIGN_INS = f"""\
Demo sign-ins (password for all: {PASSWORD})
  staff      staff@example.org
  co-chairs  cochair1@example.org … cochair15@example.org  (1–3 pillar 1, 4–6 pillar 2, …)
  members    member1@example.org … member30@example.org
  partners   partner1@example.org … partner5@example.org
  Spanish    concejala@example.org  (a member who reads Spanish, in San Antonio's hours)"""

# (name, office, jurisdiction, state) for the officials, co-chairs first.
OFFICIALS = [
    ("Maya Okafor", "Council Member", "Takoma Park", "MD"),
    ("Luis Herrera", "County Commissioner", "Pima County", "AZ"),
    ("Grace Nakamura", "Council Member", "Oakland", "CA"),
    ("Darnell Brooks", "Alder", "Madison", "WI"),
    ("Priya Raman", "School Board Member", "Minneapolis Public Schools", "MN"),
    ("Tomás Aguilar", "Mayor", "Las Cruces", "NM"),
    ("Hannah Schultz", "Council Member", "Ithaca", "NY"),
    ("Andre Williams", "County Council Member", "King County", "WA"),
    ("Sofia Delgado", "Council Member", "Austin", "TX"),
    ("Keisha Johnson", "City Council President", "Durham", "NC"),
    ("Ethan Park", "Selectboard Member", "Brattleboro", "VT"),
    ("Rosa Martinez", "Supervisor", "Dane County", "WI"),
    ("Jamal Carter", "Council Member", "Atlanta", "GA"),
    ("Ana Lucía Torres", "Council Member", "San Juan", "PR"),
    ("Ben Goldstein", "Council Member", "Pittsburgh", "PA"),
    ("Fatima Hassan", "Council Member", "Dearborn", "MI"),
    ("Marcus Lee", "Alderperson", "Chicago", "IL"),
    ("Claire Dubois", "Council Member", "Portland", "ME"),
    ("Rahul Mehta", "Council Member", "Jersey City", "NJ"),
    ("Olivia Chen", "Council Member", "Seattle", "WA"),
    ("Isaiah Thompson", "County Commissioner", "Shelby County", "TN"),
    ("Nadia Rahman", "School Board Member", "Denver Public Schools", "CO"),
    ("Samuel Ortiz", "Council Member", "Providence", "RI"),
    ("Leah Friedman", "Council Member", "Boston", "MA"),
    ("Victor Nguyen", "Council Member", "Houston", "TX"),
    ("Imani Wright", "Council Member", "New Orleans", "LA"),
    ("Gabriel Santos", "Mayor", "Somerville", "MA"),
    ("Erin O'Connell", "Council Member", "Missoula", "MT"),
    ("Kwame Mensah", "Council Member", "Columbus", "OH"),
    ("Teresa Vigil", "County Commissioner", "Santa Fe County", "NM"),
    ("Daniel Kim", "Council Member", "Los Angeles", "CA"),
    ("Monique Baptiste", "Council Member", "Miami", "FL"),
    ("Ryan Whitehorse", "Tribal Council Member", "Navajo Nation", "AZ"),
    ("Elena Petrova", "Council Member", "Burlington", "VT"),
    ("Joshua Adeyemi", "Council Member", "Richmond", "VA"),
    ("Carmen Ruiz", "School Board Member", "Tucson Unified", "AZ"),
    ("Patrick Murphy", "Council Member", "Kansas City", "MO"),
    ("Aisha Mohamed", "Council Member", "St. Paul", "MN"),
    ("Noah Levi", "Council Member", "Philadelphia", "PA"),
    ("Lucy Tran", "Council Member", "San José", "CA"),
    ("Omar Farouk", "Council Member", "Louisville", "KY"),
    ("Zoe Anderson", "Council Member", "Salt Lake City", "UT"),
    ("Miguel Cruz", "Commissioner", "Albuquerque", "NM"),
    ("Tanya Greene", "Council Member", "Baltimore", "MD"),
    ("Harold Jenkins", "Council Member", "Birmingham", "AL"),
]
PARTNERS = [
    ("Renee Alvarez", "SEIU Local 26", "MN"),
    ("Jordan Blake", "PolicyLink", "CA"),
    ("Mei Wong", "Center for Popular Democracy", "NY"),
    ("Curtis Hall", "Right to the City Alliance", "DC"),
    ("Samira Qureshi", "Participatory Budgeting Project", "NY"),
]


def seed() -> bool:
    """Create the demo people (and pillars) unless present; flush only; True if created."""
    pillars = seed_pillars()
    if db.session.scalar(sa.select(User.id).where(User.email == "staff@example.org")):
        return False
    password_hash = hash_password(PASSWORD)
    now = utcnow()

    def person(email, name, kind, **fields):
        user = User(
            email=email, name=name, kind=kind, password_hash=password_hash, created_at=now, **fields
        )
        db.session.add(user)
        return user

    person("staff@example.org", "Sam Rivera", UserKind.staff, organisation="Local Progress")
    for i, (name, office, place, state) in enumerate(OFFICIALS[:45], start=1):
        if i <= 15:
            email = f"cochair{i}@example.org"
        elif i <= 45:
            email = f"member{i - 15}@example.org"
        user = person(
            email, name, UserKind.member, office=office, jurisdiction=place, us_state=state
        )
        if i <= 15:
            db.session.add(CochairAssignment(pillar=pillars[(i - 1) // 3], user=user))
    for i, (name, org, state) in enumerate(PARTNERS, start=1):
        person(f"partner{i}@example.org", name, UserKind.partner, organisation=org, us_state=state)
    db.session.flush()
    for hook in AFTER_PEOPLE:
        hook()
    return True


# Later parts of the demo (studies in every state, commitments) register here.
AFTER_PEOPLE: list = []
AFTER_PEOPLE.append(seed_library)  # the public library and committed officials (issue 7)
AFTER_PEOPLE.append(seed_workflow)  # studies in every state of the workflow (issue 4)
AFTER_PEOPLE.append(seed_demo_rich)  # one rich study in every state (issue 11)
AFTER_PEOPLE.append(seed_spanish)  # a member who reads Spanish, and a study in Spanish (16)

"""Demo data for the public library: published case studies across every pillar and many
states, and the officials committed to the agenda. Registered in review.demo.AFTER_PEOPLE."""

from datetime import timedelta

import sqlalchemy as sa

from models import (
    CaseStudy,
    Commitment,
    Link,
    Pillar,
    Stakeholder,
    StudyAuthor,
    TimelineEvent,
    Topic,
    User,
    moving_state,
)
from models.base import db
from models.clock import utcnow
from models.enums import GovernmentType as G  # noqa: N817 - short names keep the table legible
from models.enums import PopulationBand as P  # noqa: N817
from models.enums import StakeholderType as T  # noqa: N817
from models.enums import Stance, StudyState, UserKind
from models.enums import StudyKind as K  # noqa: N817
from review import workflow
from review.infra.markdown import render

W, OE = K.policy_win, K.organizing_example

# (pillar 1–5, kind, title, place, state, government, population, start, end, topics, summary,
#  what was won or built)
# fmt: off
STUDIES = [
    (1, W, "Participatory budgeting in every ward", "Durham", "NC", G.city, P.from_250k_to_1m,
     2019, 2022, ["participatory budgeting", "civic engagement"],
     "Durham let residents decide how to spend $2.4 million of capital money, ward by ward.",
     "Residents proposed 700 ideas; 11,000 people voted; 37 projects were built, from bus "
     "shelters to playground repairs."),
    (1, W, "A millionaires' surtax for schools and transit", "Boston", "MA", G.state,
     P.over_1m, 2018, 2022, ["progressive revenue", "education", "transit"],
     "A 4% surtax on income above $1 million raises over $1 billion a year for schools "
     "and transit.", "The Fair Share Amendment, won at the ballot after a four-year campaign "
     "that local officials helped lead."),
    (1, W, "Moving police overtime into youth jobs", "Madison", "WI", G.city, P.from_250k_to_1m,
     2020, 2021, ["public safety", "youth", "budget"],
     "Madison shifted $1.2 million from police overtime into a summer youth jobs program.",
     "A budget amendment that paid 600 young people for summer work with community groups."),
    (1, OE, "Budget school for residents", "Las Cruces", "NM", G.city, P.from_50k_to_250k,
     2021, 2023, ["budget", "civic engagement"],
     "A free six-week course taught 300 residents to read the city budget and testify on it.",
     "Residents learned the budget calendar and packed the hearings that followed."),
    (1, W, "Ending fines and fees for young people", "Shelby County", "TN", G.county,
     P.over_1m, 2020, 2022, ["fines and fees", "youth", "racial equity"],
     "Shelby County ended juvenile court fees and cleared $2 million of family debt.",
     "An ordinance abolishing every juvenile fee, and a one-time discharge of old debt."),
    (1, W, "A public bank study that got funded", "Santa Fe County", "NM", G.county,
     P.from_50k_to_250k, 2019, 2021, ["public banking", "progressive revenue"],
     "Santa Fe County funded a feasibility study and a first $5 million public deposit.",
     "A charter for a public bank feasibility study and a pilot deposit."),
    (1, OE, "Guaranteed income pilot for caregivers", "Atlanta", "GA", G.city, P.from_250k_to_1m,
     2021, 2023, ["guaranteed income", "care work"],
     "Atlanta gave 300 caregivers $500 a month for two years, and tracked what changed.",
     "A privately and publicly funded pilot, designed with the caregivers themselves."),
    (2, W, "Right to counsel for tenants", "Takoma Park", "MD", G.city, P.from_10k_to_50k,
     2021, 2023, ["housing", "tenants"],
     "Takoma Park guaranteed a lawyer to every tenant facing eviction.",
     "A right to counsel ordinance and a contract with the local legal aid office."),
    (2, W, "Unarmed crisis response teams", "Denver", "CO", G.city, P.from_250k_to_1m,
     2019, 2022, ["public safety", "mental health"],
     "Denver sends a medic and a clinician, not police, to 3,000 mental health calls a year.",
     "The STAR program, funded in the city budget and dispatched from 911."),
    (2, W, "Fare-free buses", "Kansas City", "MO", G.city, P.from_250k_to_1m, 2019, 2020,
     ["transit", "affordability"],
     "Kansas City became the first large U.S. city with fare-free buses.",
     "A council resolution and budget line that ended fares on every route."),
    (2, W, "Social housing development authority", "Montgomery County", "MD", G.county,
     P.over_1m, 2020, 2023, ["housing", "social housing"],
     "A county housing authority builds mixed-income homes that stay public forever.",
     "A $100 million revolving fund that finances public, mixed-income buildings."),
    (2, OE, "Tenant union organizing in mobile home parks", "Missoula", "MT", G.city,
     P.from_50k_to_250k, 2020, 2022, ["housing", "tenants", "organizing"],
     "Residents of three mobile home parks organized and bought their land together.",
     "Resident-owned cooperatives, with a city loan guarantee."),
    (2, W, "Community health workers in every clinic", "Pima County", "AZ", G.county,
     P.over_1m, 2020, 2022, ["health", "care work"],
     "Pima County hired 60 community health workers from the neighbourhoods they serve.",
     "A permanent county program, paid at union wages."),
    (2, W, "Free school meals for every student", "Minneapolis Public Schools", "MN",
     G.school_district, P.from_250k_to_1m, 2021, 2023, ["education", "food access"],
     "Every student eats breakfast and lunch free, with no forms and no stigma.",
     "Universal free meals, paid by the district and later by the state."),
    (2, OE, "Heat safety campaign for outdoor workers", "Houston", "TX", G.city, P.over_1m,
     2022, 2023, ["worker safety", "climate"],
     "Workers and council members pushed for water and shade breaks in record heat.",
     "A city ordinance that the state later pre-empted, and the campaign that continues."),
    (3, W, "Ending single-family-only zoning", "Minneapolis", "MN", G.city, P.from_250k_to_1m,
     2018, 2020, ["zoning", "housing"],
     "Minneapolis allowed up to three homes on every residential lot.",
     "The 2040 comprehensive plan, adopted after two years of neighbourhood meetings."),
    (3, W, "A community land trust for Black homeownership", "Louisville", "KY", G.city,
     P.from_250k_to_1m, 2019, 2022, ["community land trust", "housing", "racial equity"],
     "Louisville funded a land trust that has sold 80 permanently affordable homes.",
     "City land and $10 million in seed money for a resident-governed trust."),
    (3, W, "A public grocery store", "St. Paul", "MN", G.city, P.from_250k_to_1m, 2021, 2023,
     ["food access", "public ownership"],
     "St. Paul opened a city-owned grocery store in a neighbourhood without one.",
     "A city-run store on city land, with local suppliers and union staff."),
    (3, W, "Anti-displacement zoning overlay", "Oakland", "CA", G.city, P.from_250k_to_1m,
     2019, 2021, ["zoning", "displacement"],
     "New development near transit must replace every affordable home it removes.",
     "An overlay district with one-for-one replacement and a right to return."),
    (3, OE, "Neighbourhood planning led by residents", "Albuquerque", "NM", G.city,
     P.from_250k_to_1m, 2020, 2022, ["planning", "civic engagement"],
     "Residents of the International District wrote their own neighbourhood plan.",
     "A plan adopted by the council, drafted at 40 kitchen-table meetings."),
    (3, W, "Urban farms on vacant lots", "Baltimore", "MD", G.city, P.from_250k_to_1m,
     2018, 2021, ["food access", "land use"],
     "Baltimore leased 40 vacant lots to urban farmers for a dollar a year.",
     "A land-leasing program with water hook-ups and five-year terms."),
    (3, W, "Lead-free water lines for every home", "Providence", "RI", G.city,
     P.from_50k_to_250k, 2020, 2023, ["environmental justice", "infrastructure"],
     "Providence is replacing every lead service line at no cost to residents.",
     "A program funded by federal money and a city bond."),
    (4, W, "A $15 minimum wage for the county", "King County", "WA", G.county, P.over_1m,
     2017, 2019, ["minimum wage", "worker power"],
     "King County raised wages for 40,000 workers in unincorporated areas.",
     "A county ordinance, phased in over three years, with enforcement funded."),
    (4, W, "Community benefits for a stadium deal", "Pittsburgh", "PA", G.city,
     P.from_250k_to_1m, 2019, 2021, ["community benefits", "development"],
     "A coalition won local hiring, living wages and affordable homes from a stadium deal.",
     "A signed community benefits agreement with an oversight board."),
    (4, W, "Fair workweek for retail and food workers", "Philadelphia", "PA", G.city,
     P.over_1m, 2018, 2020, ["worker power", "scheduling"],
     "Workers get two weeks' notice of their schedules and pay when shifts change.",
     "A fair workweek ordinance and a city office that enforces it."),
    (4, OE, "Worker cooperative academy", "Jersey City", "NJ", G.city, P.from_250k_to_1m,
     2020, 2023, ["cooperatives", "small business"],
     "An eight-week course helped 14 groups of workers start cooperative businesses.",
     "A city-funded academy run with a local cooperative network."),
    (4, W, "Minority-owned business set-aside", "Richmond", "VA", G.city, P.from_50k_to_250k,
     2019, 2022, ["small business", "racial equity", "procurement"],
     "Richmond now awards a third of its contracts to minority-owned businesses.",
     "A disparity study and a procurement ordinance built on it."),
    (4, W, "Domestic workers bill of rights", "Seattle", "WA", G.city, P.from_250k_to_1m,
     2018, 2019, ["worker power", "care work"],
     "Nannies, house cleaners and home carers got minimum wage, breaks and a standards board.",
     "A city ordinance and a standards board where workers hold seats."),
    (4, OE, "Organizing gig drivers for a pay floor", "Los Angeles", "CA", G.city, P.over_1m,
     2021, 2023, ["worker power", "gig economy"],
     "Drivers organized across apps and won a public hearing on a pay standard.",
     "A driver-led campaign that produced a city study and a draft ordinance."),
    (5, W, "Democracy vouchers", "Seattle", "WA", G.city, P.from_250k_to_1m, 2015, 2019,
     ["public financing", "elections"],
     "Every voter gets four $25 vouchers to give to the candidates they choose.",
     "A voter-approved levy that funds the vouchers and their administration."),
    (5, W, "Votes at 16 in school board elections", "Takoma Park", "MD", G.city,
     P.from_10k_to_50k, 2013, 2020, ["voting rights", "youth"],
     "Sixteen- and seventeen-year-olds vote in city elections, and turn out at high rates.",
     "A charter amendment, later copied by neighbouring cities."),
    (5, W, "Ranked-choice voting for city races", "Portland", "ME", G.city, P.from_50k_to_250k,
     2019, 2022, ["elections", "voting rights"],
     "Portland uses ranked-choice ballots for every city office.",
     "A charter commission recommendation that voters approved."),
    (5, OE, "A youth council with a real budget", "Somerville", "MA", G.city,
     P.from_50k_to_250k, 2020, 2022, ["youth", "participatory budgeting"],
     "Young people decide how to spend $250,000 a year of city money.",
     "A youth council with a budget, staff and a seat at council meetings."),
    (5, W, "People's assembly on public safety", "Ithaca", "NY", G.city, P.from_10k_to_50k,
     2021, 2022, ["co-governance", "public safety"],
     "A randomly chosen assembly of residents wrote the city's public safety plan.",
     "Forty residents, paid for their time, met for six months and the council adopted "
     "their plan."),
    (5, W, "Tribal co-management of river restoration", "Navajo Nation", "AZ", G.tribal,
     P.from_50k_to_250k, 2019, 2023, ["co-governance", "environmental justice"],
     "The Nation and the county share decisions over a river restoration fund.",
     "A co-management agreement with equal seats and a shared budget."),
    (5, OE, "Language access at the polls", "Dearborn", "MI", G.city, P.from_50k_to_250k,
     2021, 2022, ["voting rights", "language access"],
     "Ballots and poll workers in Arabic, after a campaign by residents and clerks.",
     "Translated ballots, trained interpreters and a permanent language access office."),
    (5, W, "Public campaign financing for county races", "Miami-Dade County", "FL", G.county,
     P.over_1m, 2020, 2023, ["public financing", "elections"],
     "Small donations to county candidates are matched six to one.",
     "A matching-funds program approved by the commission."),
    (2, W, "Free childcare for early educators' own children", "San Juan", "PR", G.city,
     P.from_250k_to_1m, 2021, 2023, ["childcare", "care work"],
     "Childcare workers get free care for their own children, and staffing recovered.",
     "A municipal program funded by federal recovery money."),
    (3, W, "Accessory homes made easy", "Salt Lake City", "UT", G.city, P.from_50k_to_250k,
     2018, 2021, ["zoning", "housing"],
     "Salt Lake City cut the rules that blocked backyard cottages.",
     "A zoning change and free pre-approved plans."),
    (4, W, "Paid sick days for every worker", "Birmingham", "AL", G.city, P.from_50k_to_250k,
     2021, 2022, ["worker power", "health"],
     "Birmingham's city workers and contractors earn paid sick days.",
     "A contracting standard that covers every city contractor."),
]
# fmt: on

ALLY_GROUPS = [
    ("Neighbours United", T.community_organisation, "Organized residents and turnout", Stance.ally),
    ("SEIU local", T.labor_union, "Members testified and canvassed", Stance.ally),
    ("Policy Matters Institute", T.policy_group, "Research and model legislation", Stance.ally),
    ("Chamber of Commerce", T.business, "Opposed, then negotiated changes", Stance.opposed),
    ("City finance department", T.government_body, "Costed the options", Stance.neutral),
]

# People listed by staff who have no account (imported from the paper sign-up sheets).
LISTED = [
    ("Alicia Romero", "Council Member", "Tucson", "AZ"),
    ("Brian O'Neill", "Supervisor", "San Francisco", "CA"),
    ("Chantal Dupree", "School Board Member", "New Orleans", "LA"),
    ("Devon Harris", "Council Member", "Cleveland", "OH"),
    ("Esther Kaplan", "Council Member", "Evanston", "IL"),
    ("Felipe Ramos", "County Commissioner", "Hidalgo County", "TX"),
    ("Gwen Holloway", "Council Member", "Asheville", "NC"),
    ("Hiroshi Sato", "Council Member", "Honolulu", "HI"),
    ("Ingrid Larsen", "Council Member", "Duluth", "MN"),
    ("Julian Brooks", "Alder", "New Haven", "CT"),
    ("Kara Whitfield", "Council Member", "Anchorage", "AK"),
    ("Lamar Johnson", "Council Member", "Jackson", "MS"),
]


def _sections(place: str, what: str, topics: list[str]) -> dict:
    topic = topics[0]
    return {
        "overview": f"{what}\n\nThe work in {place} began with the people most affected by "
        f"{topic} and the local officials who listened to them.",
        "political_environment": (
            f"When the campaign began, {place}'s governing body was divided and the local "
            "business lobby was organized against any change. Supporters built a coalition "
            "of residents, unions and faith groups, packed public hearings, and met every "
            "undecided member one by one. Local reporting on the problem helped move two "
            "swing votes, and a budget surplus made the first year affordable."
        ),
        "collaborative_governance": (
            "Residents sat on the working group that drafted the policy, and a community "
            f"oversight board now reviews how {topic} work is carried out each year."
        ),
        "equity": (
            "The design started from who was left out: low-income households, renters, "
            "immigrants and communities of colour were consulted first and benefit most."
        ),
        "outcomes": (
            f"Within two years the {topic} program reached thousands of residents, and an "
            "independent evaluation found measurable gains. Neighbouring jurisdictions have "
            "asked for the model."
        ),
        "lessons": (
            "- Start with the people affected, not with the policy.\n"
            "- Count your votes early and often.\n"
            "- Fund the implementation, not only the announcement."
        ),
    }


def seed_library() -> None:
    """Publish the demo case studies through the workflow and list committed officials."""
    if db.session.scalar(sa.select(CaseStudy.id).where(CaseStudy.slug.is_not(None)).limit(1)):
        return
    pillars = {p.position: p for p in db.session.scalars(sa.select(Pillar))}
    members = db.session.scalars(
        sa.select(User).where(User.kind == UserKind.member).order_by(User.id)
    ).all()
    staff = db.session.scalar(sa.select(User).where(User.kind == UserKind.staff))
    by_state = {}
    for m in members:
        by_state.setdefault(m.us_state, []).append(m)
    topics: dict[str, Topic] = {}
    now = utcnow()
    for i, row in enumerate(STUDIES):
        (pillar, kind, title, place, state, gov, pop, start, end, names, summary, what) = row
        author = (by_state.get(state) or members)[i % len(by_state.get(state) or members)]
        coauthor = members[(i * 7 + 3) % len(members)]
        sections = _sections(place, what, names)
        # The demo loader's explicit path: created at the end of the review workflow, then
        # published through it.
        with moving_state("demo"):
            study = CaseStudy(
                title=title,
                pillar_id=pillars[pillar].id,
                kind=kind,
                place=place,
                state_code=state,
                government_type=gov,
                population_band=pop,
                year_start=start,
                year_end=end,
                summary=summary,
                created_by_id=author.id,
                current_round=1,
                state=StudyState.affirmed,
                created_at=now - timedelta(days=400 + i * 9),
                submitted_at=now - timedelta(days=300 + i * 9),
                affirmed_at=now - timedelta(days=30 + i * 17),
                **{f"{k}_md": v for k, v in sections.items()},
                **{f"{k}_html": render(v) for k, v in sections.items()},
            )
        study.authors = [StudyAuthor(user_id=author.id, position=0, is_submitter=True)]
        if coauthor.id != author.id and i % 3 == 0:
            study.authors.append(StudyAuthor(user_id=coauthor.id, position=1))
        study.topics = [topics.setdefault(n, _topic(n)) for n in names]
        study.timeline = [
            TimelineEvent(
                position=0,
                year=start,
                month=3,
                day=None,
                description=f"Residents first raise {names[0]} at a public hearing",
            ),
            TimelineEvent(
                position=1,
                year=start,
                month=9,
                day=12,
                description="Coalition forms and publishes its demands",
            ),
            TimelineEvent(
                position=2,
                year=end,
                month=5,
                day=20,
                description="The governing body votes to adopt the policy",
            ),
            TimelineEvent(
                position=3, year=end, month=11, day=None, description="Implementation begins"
            ),
        ]
        study.stakeholders = [
            Stakeholder(position=j, name=f"{place} {n}" if j < 3 else n, type=t, role=r, stance=s)
            for j, (n, t, r, s) in enumerate(ALLY_GROUPS[: 3 + i % 3])
        ]
        address = "https://example.org/" + place.lower().replace(" ", "-")
        study.links = [Link(position=0, label=f"{place} ordinance text", url=address)]
        db.session.add(study)
        db.session.flush()
        workflow.apply(study, "publish", staff)
        # Interleave the pillars in publication order so recent studies show several.
        published = now - timedelta(days=20 + ((i * 11) % len(STUDIES)) * 17)
        study.published_at = study.first_published_at = published
        study.affirmed_at = published - timedelta(days=10)
    db.session.flush()
    _commitments(members, staff, now)


def _topic(name: str) -> Topic:
    found = db.session.scalar(sa.select(Topic).where(Topic.name == name))
    return found or Topic(name=name)


def _commitments(members, staff, now) -> None:
    for i, m in enumerate(members):
        if (
            i % 4 == 3
            or not m.us_state
            or db.session.scalar(sa.select(Commitment.id).where(Commitment.user_id == m.id))
        ):
            continue
        db.session.add(
            Commitment(
                user_id=m.id,
                name=m.name,
                office=m.office,
                jurisdiction=m.jurisdiction,
                us_state=m.us_state,
                committed_at=now - timedelta(days=5 + i * 11),
                source="self",
                created_by_id=m.id,
            )
        )
    for i, (name, office, place, state) in enumerate(LISTED):
        db.session.add(
            Commitment(
                name=name,
                office=office,
                jurisdiction=place,
                us_state=state,
                source="import",
                committed_at=now - timedelta(days=60 + i * 13),
                created_by_id=staff.id,
            )
        )
    db.session.flush()

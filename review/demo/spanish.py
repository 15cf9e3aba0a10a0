"""Demo data in Spanish (issue 16): a council member in San Antonio who reads Spanish, in her
own hours, and a published case study written in Spanish, with its summary in English too.
Registered last in review.demo.AFTER_PEOPLE, so that the other parts' choice of authors and
voters is the same as without her."""

from datetime import timedelta

import sqlalchemy as sa

from models import (
    CaseStudy,
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
from models.enums import (
    ContentLanguage,
    GovernmentType,
    PopulationBand,
    StakeholderType,
    Stance,
    StudyKind,
    StudyState,
    UserKind,
)
from review import workflow
from review.infra.markdown import render

EMAIL = "concejala@example.org"
ZONE = "America/Chicago"
TITLE = "Presupuesto participativo en los barrios de San Antonio"

SECTIONS = {
    "overview": (
        "San Antonio destinó **3 millones de dólares** del presupuesto de capital a proyectos "
        "que los vecinos propusieron y votaron, distrito por distrito.\n\n"
        "Los residentes presentaron 900 ideas; 14.000 personas votaron, en español y en "
        "inglés, y se construyeron 41 proyectos: aceras, alumbrado, parques y bibliotecas."
    ),
    "political_environment": (
        "El concejo estaba dividido y la oficina de presupuesto temía perder el control del "
        "gasto de capital. Una coalición de organizaciones de barrio, el sindicato de "
        "trabajadores municipales y parroquias del West Side llenó tres audiencias públicas. "
        "La prensa local en español siguió la campaña, y dos concejales indecisos cambiaron "
        "su voto tras reunirse con los comités de vecinos de sus distritos."
    ),
    "collaborative_governance": (
        "Un comité de vecinos de cada distrito redactó las reglas del proceso con el personal "
        "municipal, y un consejo ciudadano revisa cada año cómo se gasta el dinero."
    ),
    "equity": (
        "Las urnas se instalaron primero en los distritos con menos inversión histórica, "
        "con materiales en español e inglés y voto desde los 14 años."
    ),
    "outcomes": (
        "En dos ciclos, la participación se triplicó en los barrios del sur y del oeste, y "
        "el concejo aprobó hacer permanente el presupuesto participativo."
    ),
    "lessons": (
        "- Empiece con los vecinos, no con el reglamento.\n"
        "- Publique todo en los idiomas del barrio.\n"
        "- Financie la ejecución, no solo la votación."
    ),
}
SUMMARY = (
    "Los vecinos de San Antonio deciden cada año cómo se gastan 3 millones de dólares del "
    "presupuesto municipal."
)
SUMMARY_TRANSLATION = (
    "San Antonio residents decide each year how $3 million of the city budget is spent."
)
TIMELINE = [
    (2020, 2, None, "Los comités de vecinos piden voz en el presupuesto de capital"),
    (2020, 10, 6, "El concejo aprueba el primer ciclo del presupuesto participativo"),
    (2021, 4, 17, "Votan 14.000 residentes en 60 urnas de barrio"),
    (2022, 9, None, "El concejo hace permanente el proceso"),
]
STAKEHOLDERS = [
    ("Comités de vecinos del West Side", StakeholderType.residents, "Propusieron y votaron"),
    ("Sindicato de trabajadores municipales", StakeholderType.labor_union, "Testificó"),
    ("Oficina de presupuesto", StakeholderType.government_body, "Calculó los costos"),
]


def seed_spanish() -> None:
    """Add the Spanish-reading member and publish her study in Spanish, unless present."""
    if db.session.scalar(sa.select(User.id).where(User.email == EMAIL)):
        return
    staff = db.session.scalar(sa.select(User).where(User.kind == UserKind.staff))
    now = utcnow()
    member = User(
        email=EMAIL,
        name="Elena Garza",
        kind=UserKind.member,
        office="Concejala",
        jurisdiction="San Antonio",
        us_state="TX",
        locale="es",
        time_zone=ZONE,
        time_zone_set_at=now,
        password_hash=staff.password_hash,  # the demo's one password, hashed once
        created_at=now,
    )
    db.session.add(member)
    db.session.flush()
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    with moving_state("demo"):
        study = CaseStudy(
            title=TITLE,
            pillar_id=pillar.id,
            kind=StudyKind.policy_win,
            place="San Antonio",
            state_code="TX",
            government_type=GovernmentType.city,
            population_band=PopulationBand.over_1m,
            year_start=2020,
            year_end=2022,
            language=ContentLanguage.es,
            summary=SUMMARY,
            summary_translation=SUMMARY_TRANSLATION,
            created_by_id=member.id,
            current_round=1,
            state=StudyState.affirmed,
            created_at=now - timedelta(days=200),
            submitted_at=now - timedelta(days=150),
            affirmed_at=now - timedelta(days=20),
            **{f"{k}_md": v for k, v in SECTIONS.items()},
            **{f"{k}_html": render(v) for k, v in SECTIONS.items()},
        )
    study.authors = [StudyAuthor(user_id=member.id, position=0, is_submitter=True)]
    study.topics = [_topic("presupuesto participativo"), _topic("participatory budgeting")]
    study.timeline = [
        TimelineEvent(position=i, year=y, month=m, day=d, description=text)
        for i, (y, m, d, text) in enumerate(TIMELINE)
    ]
    study.stakeholders = [
        Stakeholder(position=i, name=name, type=kind, role=role, stance=Stance.ally)
        for i, (name, kind, role) in enumerate(STAKEHOLDERS)
    ]
    db.session.add(study)
    db.session.flush()
    workflow.apply(study, "publish", staff)
    study.published_at = study.first_published_at = now - timedelta(days=10)
    db.session.flush()


def _topic(name: str) -> Topic:
    return db.session.scalar(sa.select(Topic).where(Topic.name == name)) or Topic(name=name)

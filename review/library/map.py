"""The tile grid of the states drawn on the library page: one square per state or territory."""

from dataclasses import dataclass

from flask_babel import get_translations

from models.enums import US_STATES

# (code, column, row) on a 12 × 9 grid, roughly where each state sits on the map.
TILE_LAYOUT = """
AK 0 0 | ME 11 0
VT 10 1 | NH 11 1
WA 1 2 | ID 2 2 | MT 3 2 | ND 4 2 | MN 5 2 | IL 6 2 | WI 7 2 | MI 8 2 | NY 9 2 | RI 10 2 | MA 11 2
OR 1 3 | NV 2 3 | WY 3 3 | SD 4 3 | IA 5 3 | IN 6 3 | OH 7 3 | PA 8 3 | NJ 9 3 | CT 10 3
CA 1 4 | UT 2 4 | CO 3 4 | NE 4 4 | MO 5 4 | KY 6 4 | WV 7 4 | VA 8 4 | MD 9 4 | DE 10 4
AZ 2 5 | NM 3 5 | KS 4 5 | AR 5 5 | TN 6 5 | NC 7 5 | SC 8 5 | DC 9 5
OK 4 6 | LA 5 6 | MS 6 6 | AL 7 6 | GA 8 6
HI 0 7 | TX 4 7 | FL 9 7
GU 0 8 | MP 1 8 | AS 2 8 | PR 10 8 | VI 11 8
"""

SIZE = 44  # the side of a tile in SVG units, gap included
WIDTH = 12 * SIZE
HEIGHT = 9 * SIZE


def _tiles() -> list[tuple[str, int, int]]:
    tiles = []
    for line in TILE_LAYOUT.strip().splitlines():
        for cell in line.split("|"):
            code, col, row = cell.split()
            tiles.append((code, int(col) * SIZE, int(row) * SIZE))
    return tiles


TILES = _tiles()


@dataclass
class Tile:
    """One state's square as the map draws it: its place, count, shade and words."""

    code: str
    x: int
    y: int
    n: int
    level: int
    href: str
    label: str  # the link's accessible name ("" when the state has no study)
    title: str  # the tile's tooltip


def tiles_of(state_counts: dict[str, int], query) -> list[Tile]:
    """Return the map's tiles for these counts, each linking to that state's filter.

    Drawn here rather than in the template: the map is drawn afresh after every publication,
    and a Jinja `ngettext` per tile looked the translations up 112 times a map.
    """
    translations = get_translations()
    top = max(state_counts.values(), default=0)
    out = []
    for code, x, y in TILES:
        n = state_counts.get(code, 0)
        name = US_STATES.get(code, code)
        label = ""
        if n:
            label = translations.ngettext(
                "%(state)s, %(num)s study", "%(state)s, %(num)s studies", n
            ) % {"state": name, "num": n}
        title = translations.ngettext(
            "%(state_name)s: %(count)s study", "%(state_name)s: %(count)s studies", n
        ) % {"state_name": name, "count": n}
        out.append(
            Tile(
                code=code,
                x=x,
                y=y,
                n=n,
                level=0 if not n else 1 + (3 * n // (top + 1)),
                href=query.href(state=code) if n else "",
                label=label,
                title=title,
            )
        )
    return out

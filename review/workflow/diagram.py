"""The transition table drawn as a Mermaid state diagram (`flask workflow diagram`)."""

from review import policy
from review.workflow.context import S
from review.workflow.guards import _author, _staff, _system
from review.workflow.table import TABLE

# ---------------------------------------------------------------- the diagram


def mermaid() -> str:
    """Return the table as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.draft.value}"]
    for row in TABLE:
        who = WHO_NAMES.get(row.who, "?")
        for source in row.sources:
            for target in row.to or (source,):
                lines.append(f"    {source.value} --> {target.value}: {row.event} ({who})")
    lines.append(f"    {S.published.value} --> [*]")
    return "\n".join(lines)


# Who each row's predicate stands for, in the diagram.
WHO_NAMES = {
    _author: "an author",
    _staff: "staff",
    _system: "the system",
    policy.may_review: "an eligible co-chair",
    policy.may_declare_conflict: "a co-chair of the pillar",
}

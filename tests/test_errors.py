"""One family of refusals: every operation's error is an OperationError with a `field`, and a
study that changed since it was loaded is refused with one error and one wording."""

from pathlib import Path

import pytest

from review import accounts, affirmation, attachments, commitments, drafts, reviews, staff, workflow
from review.errors import STALE_MESSAGE, OperationError, Stale

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "error",
    [
        accounts.AccountError,
        affirmation.AffirmationError,
        attachments.AttachmentError,
        commitments.CommitmentError,
        drafts.CoauthorError,
        reviews.ReviewError,
        staff.StaffError,
        workflow.Refused,
        Stale,
    ],
)
def test_every_refusal_is_an_operation_error_with_a_field(error):
    assert issubclass(error, OperationError)
    raised = error("Reason: say why.", field="reason") if error is not Stale else Stale()
    assert raised.field == ("reason" if error is not Stale else None)
    assert raised.message and str(raised) == raised.message


def test_one_stale_error_with_one_wording():
    assert workflow.Changed is Stale and workflow.Stale is Stale
    assert Stale(["x was reviewed"]).message == STALE_MESSAGE
    found = []
    for folder in ("review", "models", "workers", "forms", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html"} and "changed since you opened" in path.read_text():
                found.append(str(path.relative_to(ROOT)))
    assert found == ["review/errors.py"]
    stale_classes = []
    for path in (ROOT / "review").rglob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith("class Stale") or line.startswith("class Changed"):
                stale_classes.append(f"{path.relative_to(ROOT)}: {line}")
    assert stale_classes == ["review/errors.py: class Stale(OperationError):"]


def test_save_and_correct_raise_the_one_stale_error(app, make_user, pillar):
    from tests.factories import complete_study

    study = complete_study(make_user("member"), pillar=pillar)
    with pytest.raises(Stale):
        drafts.save_draft(study, {}, expected_version=study.version - 1)

"""Every job that code may ask for by name, in one place.

The workflow, notify and the features name the job to run after commit (`queue.enqueue(
"mail.send_batch", ids)`); they never import the module that runs it. create_app() binds this
table to the queue, so a name missing here fails at the enqueue, in every test.
"""

from collections.abc import Callable

from review.affirmation import jobs as affirmation
from workers import fanout, mail

JOBS: dict[str, Callable] = {
    "mail.send_notification": mail.send_notification,
    "mail.send_batch": mail.send_batch,
    "fanout.run_broadcast": fanout.run_broadcast,
    "affirmation.close_window": affirmation.close_window,
}

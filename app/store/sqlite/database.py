"""The synchronous store: every domain's methods on one connection."""

from app.store.sqlite.accounts import Accounts
from app.store.sqlite.alerts import Alerts
from app.store.sqlite.audience import Audience
from app.store.sqlite.bulk import BulkJobs
from app.store.sqlite.erasure import Erasure
from app.store.sqlite.hooks import Hooks
from app.store.sqlite.intake import EventIntake
from app.store.sqlite.integrations import Integrations
from app.store.sqlite.outbox import Outbox
from app.store.sqlite.retention import Retentions
from app.store.sqlite.runs import Runs
from app.store.sqlite.templates import Templates
from app.store.sqlite.usage import Usage
from app.store.sqlite.workflows import Workflows


class Database(
    Accounts,
    Workflows,
    EventIntake,
    Runs,
    BulkJobs,
    Hooks,
    Integrations,
    Audience,
    Templates,
    Outbox,
    Usage,
    Erasure,
    Retentions,
    Alerts,
):
    """The store's methods as plain calls, used from one thread only (SQLiteStore's)."""

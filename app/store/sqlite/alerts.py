"""Failure alerts on SQLite: each tenant's rules as one document, and a row per notice
sent, its key unique within the tenant."""

from datetime import datetime

import orjson

from app.models.alert import AlertRules
from app.sqlite_file import integrity_errors
from app.store.sqlite.connection import Connection


class Alerts(Connection):
    def get_alert_rules(self, tenant_id: str) -> AlertRules | None:
        row = self._one("SELECT doc FROM alert_rules WHERE tenant_id = ?", tenant_id)
        return None if row is None else AlertRules.model_validate_json(row[0])

    def set_alert_rules(self, tenant_id: str, rules: AlertRules) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO alert_rules VALUES (?, ?) ON CONFLICT (tenant_id) "
                "DO UPDATE SET doc = excluded.doc",
                (tenant_id, rules.model_dump_json().encode()),
            )

    def delete_alert_rules(self, tenant_id: str) -> bool:
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM alert_rules WHERE tenant_id = ?", (tenant_id,))
        return deleted.rowcount == 1

    def alert_rules(self) -> dict[str, AlertRules]:
        rows = self._all("SELECT tenant_id, doc FROM alert_rules")
        return {row[0]: AlertRules.model_validate(orjson.loads(row[1])) for row in rows}

    def claim_notice(self, tenant_id: str, key: str, at: datetime) -> bool:
        try:
            with self._transaction() as db:
                db.execute("INSERT INTO notices VALUES (?, ?, ?)", (tenant_id, key, at.isoformat()))
        except integrity_errors():
            return False
        return True

    def purge_notices(self, before: datetime) -> int:
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM notices WHERE at < ?", (before.isoformat(),))
        return int(deleted.rowcount)

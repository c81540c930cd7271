"""What AI calls spent, on SQLite: a row per call, summed by a grouped read."""

from app.models.stats import Period
from app.models.usage import AiUsage, UsageTally
from app.store.sqlite.connection import Connection
from app.store.sqlite.rows import stamp

SUMS = "count(*), total(input_tokens), total(output_tokens), total(cost)"


class Usage(Connection):
    def add_ai_usage(self, usage: AiUsage) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO ai_usage (tenant_id, workflow_id, run_id, step_id, model, "
                "input_tokens, output_tokens, cost, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    usage.tenant_id,
                    usage.workflow_id,
                    usage.run_id,
                    usage.step_id,
                    usage.model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cost,
                    stamp(usage.at),
                ),
            )

    def ai_usage(
        self, tenant_id: str, period: Period, workflow_id: str | None = None
    ) -> dict[str, UsageTally]:
        sql = f"SELECT workflow_id, {SUMS} FROM ai_usage WHERE tenant_id = ? AND at >= ? AND at < ?"
        params = [tenant_id, stamp(period.since), stamp(period.until)]
        if workflow_id is not None:
            sql += " AND workflow_id = ?"
            params.append(workflow_id)
        rows = self._all(sql + " GROUP BY workflow_id", *params)
        return {row[0]: _tally(row[1:]) for row in rows}

    def run_ai_usage(self, tenant_id: str, run_id: str) -> UsageTally:
        rows = self._all(
            f"SELECT {SUMS} FROM ai_usage WHERE tenant_id = ? AND run_id = ?", tenant_id, run_id
        )
        return _tally(rows[0])


def _tally(row: tuple[float, ...]) -> UsageTally:
    calls, tokens_in, tokens_out, cost = row
    return UsageTally(int(calls), int(tokens_in), int(tokens_out), float(cost))

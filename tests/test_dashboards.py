"""The Grafana dashboard and the Prometheus alert rules in deploy/ read only series that
Automator's /metrics serves (a renamed metric would leave a panel or an alert silently
empty), and the dashboard is importable JSON."""

import json
import re
from pathlib import Path

import httpx

DEPLOY = Path(__file__).parent.parent / "deploy"
DASHBOARD = DEPLOY / "grafana" / "automator-dashboard.json"
ALERTS = DEPLOY / "prometheus" / "automator-alerts.yml"
# A series name in PromQL: followed by `{`, `[`, `)` or a space, never by `(` (a function).
SERIES = re.compile(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()")
PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "le",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
    }
)
# Made by Prometheus itself, not by the service.
SYNTHETIC = frozenset({"up"})
TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)$", re.M)
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("", "_total")}


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_queries() -> list[str]:
    return re.findall(r"^\s*expr: (.+)$", ALERTS.read_text(), re.M)


def series_in(expr: str) -> set[str]:
    """Metric names an expression reads: words outside label matchers and strings that are
    neither functions, keywords nor label names."""
    bare = re.sub(r"\{[^}]*\}|\"[^\"]*\"|\[[^\]]*\]", " ", expr)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", " ", bare)
    return {name for name in SERIES.findall(bare) if name not in PROMQL_WORDS}


async def served(client: httpx.AsyncClient) -> set[str]:
    text = (await client.get("/metrics")).text
    names = set()
    for name, kind in TYPE_LINE.findall(text):
        names |= {name + suffix for suffix in SUFFIXES.get(kind, ("",))}
    return names


async def test_every_series_the_dashboard_and_the_alerts_read_is_served(
    client: httpx.AsyncClient,
) -> None:
    queries = dashboard_queries() + alert_queries()
    assert len(dashboard_queries()) >= 12
    assert len(alert_queries()) >= 6
    available = await served(client)
    read = {name for expr in queries for name in series_in(expr)} - SYNTHETIC
    assert {"automator_queue_jobs", "automator_run_lateness_seconds_bucket"} <= read
    assert read <= available, f"not served by /metrics: {sorted(read - available)}"


def test_the_dashboard_imports_with_a_datasource_to_choose() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "automator-overview"
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_the_series_reader_tells_names_from_functions_and_labels() -> None:
    expr = 'histogram_quantile(0.99, sum by (le, kind) (rate(a_b_bucket{kind="timer"}[5m]))) > 1'
    assert series_in(expr) == {"a_b_bucket"}

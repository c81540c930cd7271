// Each condition's result and the reason the API gives, groups nested.
export interface ExplainedCondition {
  field?: string;
  operator?: string;
  expected?: unknown;
  actual?: unknown;
  result: boolean;
  reason?: string;
  group?: string;
  conditions?: ExplainedCondition[];
}

const shown = (value: unknown) => (value === undefined ? "—" : JSON.stringify(value));

export function ConditionResults({ conditions }: { conditions: ExplainedCondition[] }) {
  return (
    <ul className="condition-results">
      {conditions.map((c, i) => (
        <li key={i} data-result={String(c.result)}>
          <span className={c.result ? "result-true" : "result-false"}>{c.result ? "✓ true" : "✗ false"}</span>{" "}
          {c.group ? (
            <>
              <strong>{c.group}</strong> of:
              <ConditionResults conditions={c.conditions ?? []} />
            </>
          ) : (
            <>
              <code>{c.field}</code> {c.operator} <code>{shown(c.expected)}</code>
              <span className="muted"> — actual <code>{shown(c.actual)}</code>{c.reason ? `: ${c.reason}` : ""}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

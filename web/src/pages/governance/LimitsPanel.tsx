// The tenant's flow-control limits (concurrency, throttle, rate limit, frequency cap, quota)
// as JSON, saved by admins; and where the run quota stands now.
import { useLimits, usePutLimits, useQuota } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { JsonText } from "../../components/JsonText";
import { duration, when } from "../../components/time";
import { JsonObjectEditor } from "./JsonObjectEditor";

export function LimitsPanel({ canConfigure }: { canConfigure: boolean }) {
  const limits = useLimits();
  const quota = useQuota();
  return (
    <section aria-label="Limits and quota">
      <h2>Quota</h2>
      <ErrorNotice error={quota.error} />
      {quota.data && !quota.data.quota && <p>No run quota is set for this tenant.</p>}
      {quota.data?.quota && (
        <div className="quota">
          <p>
            <strong>{quota.data.quota.used}</strong> of {quota.data.quota.allowed} runs used in this period of{" "}
            {duration(quota.data.quota.period_seconds)}; {quota.data.quota.remaining} remaining
            {quota.data.quota.resets_at && <>, resets at {when(quota.data.quota.resets_at)}</>}.
          </p>
          <meter min={0} max={quota.data.quota.allowed} value={quota.data.quota.used} aria-label="Quota used" />
        </div>
      )}
      <h2>Limits</h2>
      <ErrorNotice error={limits.error} />
      {limits.data && (canConfigure ? <LimitsEditor initial={limits.data} /> : <JsonText value={limits.data} label="Tenant limits" />)}
    </section>
  );
}

function LimitsEditor({ initial }: { initial: unknown }) {
  const help = (
    <>
      Keys: <code>concurrency</code>, <code>throttle</code>, <code>rate_limit</code>, <code>frequency_cap</code>, <code>quota</code> (see docs/workflows.md).
      Saving replaces them all; they apply to runs admitted from now on.
    </>
  );
  return <JsonObjectEditor name="limits" label="Tenant limits (JSON)" initial={initial} help={help} save={usePutLimits()} />;
}

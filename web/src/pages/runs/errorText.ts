// A run's or step's error object ({"message", "retryable", ...}) as the sentence to show.
export function errorMessage(error: Record<string, unknown> | null | undefined): string | null {
  if (!error) return null;
  const message = error["message"];
  return typeof message === "string" ? message : JSON.stringify(error);
}

// rjsf's words where a person edits a map (a webhook's headers, a wait's match): a row's key
// field is its "Name", not "<key> Key" ("X-Key Key", "user.id Key"), and a new row's value
// starts empty, not as the text "New Value" that would be sent as written.
import { englishStringTranslator, TranslatableString } from "@rjsf/utils";

const OURS: Partial<Record<TranslatableString, string>> = {
  [TranslatableString.KeyLabel]: "Name",
  [TranslatableString.NewStringDefault]: "",
};

export function formStrings(key: TranslatableString, params?: string[]): string {
  return OURS[key] ?? englishStringTranslator(key, params);
}

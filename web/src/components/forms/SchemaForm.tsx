// A form generated from a JSON Schema (@rjsf/core), with the API's errors on its fields.
import Form from "@rjsf/core";
import type { ErrorSchema, RegistryWidgetsType, RJSFSchema, UiSchema } from "@rjsf/utils";
import { formValidator } from "./validator";
import { AnyValueField } from "./AnyValueField";
import { formStrings } from "./strings";
import { GREYABLE_WIDGETS, type GreyedContext } from "./GreyedWidgets";

// Connectors write their fields' descriptions with `code` spans (markdown, raw HTML off).
const UI: UiSchema = {
  "ui:submitButtonOptions": { norender: true },
  "ui:globalOptions": { enableMarkdownInDescription: true },
};
// rjsf renders a schema with no type through its FallbackField.
const FIELDS = { FallbackField: AnyValueField };

/** API field messages (`recipient`, `variables.name`, "" for the whole value) → rjsf's shape. */
export function errorSchemaOf(fields: Record<string, string[]>): ErrorSchema {
  const root: Record<string, unknown> = {};
  for (const [path, messages] of Object.entries(fields)) {
    let node = root;
    for (const part of path.split(".").filter(Boolean)) {
      node[part] ??= {};
      node = node[part] as Record<string, unknown>;
    }
    node["__errors"] = [...((node["__errors"] as string[] | undefined) ?? []), ...messages];
  }
  return root as ErrorSchema;
}

export interface SchemaFormProps {
  schema: Record<string, unknown>;
  value: unknown;
  errors?: Record<string, string[]>;
  /** The id of the text saying why the form is read only (unset: it can be changed). Its
   * text fields are then readOnly, its selects and checkboxes greyed, described by it. */
  greyedBy?: string;
  onChange: (value: unknown) => void;
  idPrefix: string;
  /** Widgets by name; a string field whose `format` names one is drawn with it. */
  widgets?: RegistryWidgetsType;
}

export function SchemaForm({ schema, value, errors = {}, greyedBy, onChange, idPrefix, widgets }: SchemaFormProps) {
  const context: GreyedContext = { greyedBy };
  return (
    <Form
      schema={schema as RJSFSchema}
      uiSchema={UI}
      formData={value}
      validator={formValidator}
      fields={FIELDS}
      widgets={{ ...GREYABLE_WIDGETS, ...widgets }}
      formContext={context}
      translateString={formStrings}
      extraErrors={errorSchemaOf(errors)}
      showErrorList={false}
      noHtml5Validate
      readonly={greyedBy !== undefined}
      idPrefix={idPrefix}
      onChange={(event) => onChange(event.formData)}
    />
  );
}

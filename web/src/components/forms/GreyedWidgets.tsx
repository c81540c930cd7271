// rjsf's select and checkbox in a read-only form, greyed as greyedControl greys the Studio's
// own pickers (aria-disabled, described by why, changes dropped) rather than `disabled` as
// rjsf makes them: a disabled control takes no focus, so a keyboard or screen-reader user
// would never reach its value. Text fields need none of this: rjsf makes them readOnly.
import { getDefaultRegistry } from "@rjsf/core";
import {
  ariaDescribedByIds, descriptionId, enumOptionSelectedValue, enumOptionValueEncoder, getOptionValueFormat, getTemplate, labelValue,
  type RegistryWidgetsType, type Widget, type WidgetProps,
} from "@rjsf/utils";
import { greyedControl } from "../greyedControl";

// rjsf's own, drawn while the form can be changed.
const DEFAULTS = getDefaultRegistry().widgets;
const DefaultSelect = DEFAULTS["SelectWidget"] as Widget;
const DefaultCheckbox = DEFAULTS["CheckboxWidget"] as Widget;

/** The form's context: the id of the text saying why the form is read only. */
export interface GreyedContext {
  greyedBy?: string;
}

/** The props that grey the control of the field `id`, described by its own texts and the
 * reason (a SchemaForm is read only when it has one). */
function greyed(id: string, registry: WidgetProps["registry"]) {
  const greyedBy = (registry.formContext as GreyedContext).greyedBy;
  return { ...greyedControl(greyedBy, () => undefined), "aria-describedby": `${ariaDescribedByIds(id)} ${greyedBy ?? ""}`.trim() };
}

function SelectWidget(props: WidgetProps) {
  if (!props.readonly) return <DefaultSelect {...props} />;
  const { id, options, value, multiple = false, placeholder, schema, registry } = props;
  const format = getOptionValueFormat(options);
  const selected = enumOptionSelectedValue(value, options.enumOptions, multiple, format, multiple ? [] : "");
  return (
    <select id={id} name={id} className="form-control" multiple={multiple} value={selected} {...greyed(id, registry)}>
      {!multiple && schema.default === undefined && <option value="">{placeholder}</option>}
      {options.enumOptions?.map((option, i) => (
        <option key={String(option.value)} value={enumOptionValueEncoder(option.value, i, format)}>{option.label}</option>
      ))}
    </select>
  );
}

function CheckboxWidget(props: WidgetProps) {
  if (!props.readonly) return <DefaultCheckbox {...props} />;
  const { id, value, label, hideLabel, schema, uiSchema, options, registry } = props;
  const Description = getTemplate("DescriptionFieldTemplate", registry, options);
  const description = options.description ?? schema.description;
  return (
    <div className="checkbox disabled">
      {!hideLabel && description && <Description id={descriptionId(id)} description={description} schema={schema} uiSchema={uiSchema} registry={registry} />}
      <label>
        <input type="checkbox" id={id} name={id} checked={value === true} {...greyed(id, registry)} />
        {labelValue(<span>{label}</span>, hideLabel)}
      </label>
    </div>
  );
}

/** The widgets a SchemaForm draws its selects and checkboxes with. */
export const GREYABLE_WIDGETS: RegistryWidgetsType = { SelectWidget, CheckboxWidget };

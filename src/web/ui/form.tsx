import { createContext, type ComponentChildren } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { useLang, useT } from './i18n.tsx';
import { errorText, Notice } from './kit.tsx';

// Forms, the same in every app: a form card whose error sits on top and whose fields show
// their own errors beside them, labelled fields, and a runner that maps the API's
// `error.param` to the field that caused it. A form hands its state (errors, busy) to the
// fields and the submit button inside it, so no field is ever bound to the wrong form.

const FORM = {
  working: ['Working…', '処理中…'],
} as const;

export type Errors = Record<string, string>;

export interface FormRun {
  errors: Errors;
  general: string | undefined;
  busy: boolean;
  /** Runs fn; an API error lands beside its field (error.param), any other one on top. */
  run(fn: () => Promise<void>, fields?: readonly string[]): Promise<void>;
  setErrors(errors: Errors): void;
}

/** What a form tells the fields and the button inside it. */
type FormState = Partial<Pick<FormRun, 'errors' | 'busy' | 'general'>>;

const FormContext = createContext<FormState>({});

/** A form that is checked by Kinko, not the browser, and shares its state with its fields. */
export function Form(props: {
  onSubmit(e: Event): void;
  form?: FormState;
  class?: string;
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <form class={props.class} onSubmit={props.onSubmit} noValidate data-testid={props.testId}>
      <FormContext.Provider value={props.form ?? {}}>{props.children}</FormContext.Provider>
    </form>
  );
}

/** The form's general error (one no field owns), as an alert. */
export function FormError(props: { form: FormState }) {
  const text = props.form.general;
  return text ? <Notice kind="error">{text}</Notice> : null;
}

/**
 * The form card every sign-in and every settings form uses: `head` (heading, a line of
 * introduction, other notices), then the form's general error, then the fields.
 */
export function FormCard(props: {
  onSubmit(e: Event): void;
  form: FormState;
  head?: ComponentChildren;
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <Form class="card" onSubmit={props.onSubmit} form={props.form} testId={props.testId}>
      {props.head}
      <FormError form={props.form} />
      {props.children}
    </Form>
  );
}

interface FieldProps {
  name: string;
  label: string;
  /** The errors by field name; by default those of the form the field is in. */
  errors?: Errors;
  hint?: string;
  type?: 'text' | 'email' | 'tel' | 'password' | 'number' | 'url' | 'search' | 'date';
  value?: string;
  placeholder?: string;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text' | 'tel' | 'email' | 'decimal' | 'url';
  required?: boolean;
  autoFocus?: boolean;
  readOnly?: boolean;
  maxLength?: number;
  pattern?: string;
  min?: string;
  onInput?: (e: Event) => void;
}

export function Field({ name, label, errors, hint, ...input }: FieldProps) {
  const form = useContext(FormContext);
  const id = `f-${name}`;
  const error = (errors ?? form.errors)?.[name];
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={described.join(' ') || undefined}
        {...(input as object)}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A password or secret: masked, and filled by password managers as `autocomplete` says. */
export function PasswordField(props: Omit<FieldProps, 'type'>) {
  return <Field type="password" autocomplete="current-password" {...props} />;
}

/** A one-time code (email, SMS, authenticator): digits, offered from the message by phones. */
export function CodeField(props: Omit<FieldProps, 'inputMode' | 'autocomplete'>) {
  return <Field inputMode="numeric" autocomplete="one-time-code" {...props} />;
}

export function Select(props: {
  name: string;
  label: string;
  options: Array<[value: string, label: string]>;
  value?: string;
  errors?: Errors;
  onChange?: (value: string) => void;
}) {
  const form = useContext(FormContext);
  const id = `f-${props.name}`;
  const error = (props.errors ?? form.errors)?.[props.name];
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        aria-invalid={error ? true : undefined}
        onChange={(e) => props.onChange?.((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map(([v, l]) => (
          <option value={v}>{l}</option>
        ))}
      </select>
      {error && <p class="field-error">{error}</p>}
    </div>
  );
}

/** The field an API `param` refers to: "device.public_key" → the form's "public_key". */
function fieldOf(param: string, fields: readonly string[] | undefined): string | undefined {
  if (!fields) return param;
  if (fields.includes(param)) return param;
  const last = param.split('.').pop() ?? param;
  return fields.includes(last) ? last : undefined;
}

export function useForm(): FormRun {
  const { lang } = useLang();
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<void>, fields?: readonly string[]) => {
    setBusy(true);
    setErrors({});
    setGeneral(undefined);
    try {
      await fn();
    } catch (err) {
      const field = err instanceof ApiError && err.param ? fieldOf(err.param, fields) : undefined;
      if (field) {
        setErrors({ [field]: errorText(err, lang) });
        focusField(field);
      } else setGeneral(errorText(err, lang));
    } finally {
      setBusy(false);
    }
  };
  return { errors, general, busy, run, setErrors };
}

function focusField(name: string) {
  requestAnimationFrame(() => document.getElementById(`f-${name}`)?.focus());
}

/** The submitted form's text fields by name. */
export function formValues(e: Event): Record<string, string> {
  e.preventDefault();
  const data = new FormData(e.currentTarget as HTMLFormElement);
  const out: Record<string, string> = {};
  for (const [k, v] of data.entries()) if (typeof v === 'string') out[k] = v.trim();
  return out;
}

/** The submit button; while its form runs it says so and cannot be pressed again. */
export function Submit(props: { busy?: boolean; children: ComponentChildren; kind?: string }) {
  const { t } = useT(FORM);
  const form = useContext(FormContext);
  const busy = props.busy ?? form.busy;
  return (
    <button type="submit" class={props.kind ?? 'primary'} disabled={busy}>
      {busy ? t('working') : props.children}
    </button>
  );
}

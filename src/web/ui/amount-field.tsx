import { useState } from 'preact/hooks';
import { amountMessage, parseAmount, type AmountBounds, type AmountReading } from './amount.ts';
import type { Lang } from './i18n.tsx';
import { Field, type Errors, type FormRun } from './form.tsx';

// An amount field that is read by parseAmount as it is typed, so the form can show the exact
// amount on its button before anything is sent ("Top up ¥1,000"), refuse what it cannot read
// with a sentence beside the field, and clear itself after a success.

interface AmountInput {
  text: string;
  reading: AmountReading;
  set(text: string): void;
  clear(): void;
}

export function useAmount(bounds?: AmountBounds, initial = ''): AmountInput {
  const [text, setText] = useState(initial);
  return {
    text,
    reading: parseAmount(text, bounds),
    set: setText,
    clear: () => setText(''),
  };
}

/** The amount when it reads cleanly; else undefined. */
export function amountOf(a: AmountInput): bigint | undefined {
  return a.reading.ok ? a.reading.minor : undefined;
}

/**
 * Checks the field before a submit. A refusal lands beside the field (and takes the focus);
 * the caller sends nothing. An empty field is allowed when `optional` says so.
 */
export function checkAmount(
  name: string,
  a: AmountInput,
  form: Pick<FormRun, 'setErrors'>,
  lang: Lang,
  optional = false,
): { ok: true; minor: bigint | undefined } | { ok: false } {
  const r = a.reading;
  if (r.ok) return { ok: true, minor: r.minor };
  if (optional && r.problem === 'empty') return { ok: true, minor: undefined };
  form.setErrors({ [name]: amountMessage(r, lang) });
  requestAnimationFrame(() => document.getElementById(`f-${name}`)?.focus());
  return { ok: false };
}

export function AmountField(props: {
  name: string;
  label: string;
  amount: AmountInput;
  hint?: string;
  errors?: Errors;
  required?: boolean;
}) {
  const { amount, ...rest } = props;
  return (
    <Field
      {...rest}
      value={amount.text}
      inputMode="numeric"
      autocomplete="off"
      onInput={(e) => amount.set((e.currentTarget as HTMLInputElement).value)}
    />
  );
}

import { createContext, type ComponentChildren } from 'preact';
import { useContext, useState } from 'preact/hooks';

// Japanese and English. Each app keeps its strings as [English, Japanese] pairs next to
// each other, so a missing translation is a type error rather than a blank on screen.
// Amounts are formatted by Intl as ¥1,234 in both languages.

export type Lang = 'ja' | 'en';
export type Strings = Record<string, readonly [en: string, ja: string]>;

const STORAGE_KEY = 'kinko.lang';

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'ja' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

interface LangState {
  lang: Lang;
  setLang(lang: Lang): void;
}

const LangContext = createContext<LangState>({ lang: 'ja', setLang: () => undefined });

export function LangProvider(props: { children: ComponentChildren }) {
  const [lang, set] = useState<Lang>(initialLang);
  document.documentElement.lang = lang;
  const setLang = (next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    set(next);
  };
  return <LangContext.Provider value={{ lang, setLang }}>{props.children}</LangContext.Provider>;
}

export type Translate<S extends Strings> = (key: keyof S, vars?: Record<string, string>) => string;

function translate<S extends Strings>(strings: S, lang: Lang): Translate<S> {
  return (key, vars) => {
    const pair = strings[key];
    let text = pair ? pair[lang === 'ja' ? 1 : 0] : String(key);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, v);
    return text;
  };
}

export function useT<S extends Strings>(strings: S): { t: Translate<S>; lang: Lang } {
  const { lang } = useContext(LangContext);
  return { t: translate(strings, lang), lang };
}

export function useLang(): LangState {
  return useContext(LangContext);
}

/** ¥1,234 from minor units (JPY has none): a bigint, an integer, or its decimal string. */
export function yen(amount: bigint | number | string, lang: Lang, currency = 'JPY'): string {
  const value = typeof amount === 'bigint' ? amount : BigInt(amount);
  const f = new Intl.NumberFormat(lang === 'ja' ? 'ja-JP' : 'en-JP', {
    style: 'currency',
    currency: currency.toUpperCase(),
  });
  // ja-JP writes the full-width ￥; the ASCII-range ¥ reads the same and aligns in tables.
  return f.format(value).replace('\uFFE5', '¥');
}

export function dateTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(d);
}

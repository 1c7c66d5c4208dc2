import { render, type ComponentChildren, type VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { useLang, useT, type Lang } from './i18n.tsx';
import { suspendedText } from './suspended.ts';

// The small UI kit every app shares: page shell with a language switch, a hash router,
// notices, loading, and the words for the API's errors. Forms are in form.tsx.

const KIT = {
  skip: ['Skip to content', '本文へ移動'],
  menu: ['Menu', 'メニュー'],
  language: ['Language', '言語'],
  unknownError: [
    'Something went wrong. Try again.',
    '問題が発生しました。もう一度お試しください。',
  ],
  network_error: ['Kinko cannot be reached. Check the connection.', '接続できません。'],
  credentials_invalid: ['The details do not match.', '入力内容が一致しません。'],
  session_missing: ['Please sign in again.', 'もう一度ログインしてください。'],
  session_expired: ['Your session ended. Please sign in again.', 'セッションが終了しました。'],
  rate_limited: ['Too many attempts. Wait a moment.', '試行回数が多すぎます。'],
  verification_code_invalid: ['The code is wrong or expired.', 'コードが違うか期限切れです。'],
  parameter_missing: ['Required.', '入力してください。'],
  // The merchant dashboard's sign-in and invitations.
  person_credentials_invalid: [
    'The email, password or authenticator code is not correct.',
    'メールアドレス、パスワード、または認証アプリのコードが正しくありません。',
  ],
  person_locked: [
    'Too many failed sign-ins; this account is locked for a while.',
    'ログインの失敗が多すぎるため、このアカウントはしばらくロックされています。',
  ],
  invitation_invalid: [
    'This invitation link has expired, was used, or was withdrawn. Ask for a new one.',
    'この招待リンクは期限切れ・使用済み・取り消し済みです。新しい招待を依頼してください。',
  ],
  totp_code_invalid: [
    'The code does not match; check the app and the device clock.',
    'コードが一致しません。アプリと端末の時刻を確認してください。',
  ],
  person_access_denied: [
    'Your role does not allow this.',
    'あなたの役割ではこの操作はできません。',
  ],
  person_store_denied: [
    'Your role allows this only at your own stores.',
    'この操作は担当店舗でのみ行えます。',
  ],
} as const;

// The API's messages are English; where no translation exists, Japanese readers get a
// short generic sentence by error type instead of English detail.
const JA_BY_TYPE: Record<string, string> = {
  invalid_request_error: '入力内容を確認してください。',
  card_error: 'カードが利用できませんでした。',
  api_error: 'サーバーで問題が発生しました。時間をおいてお試しください。',
};

export function errorText(err: unknown, lang: Lang): string {
  const t = (k: keyof typeof KIT) => KIT[k][lang === 'ja' ? 1 : 0];
  if (err instanceof ApiError) {
    // A kill switch: say what is suspended, in plain words, in either language.
    if (err.code === 'service_suspended') return suspendedText(err.body, lang);
    if (err.code in KIT) return t(err.code as keyof typeof KIT);
    const ja = err.code === 'parameter_invalid' ? '入力内容が正しくありません。' : undefined;
    if (lang === 'ja') return ja ?? JA_BY_TYPE[err.body.type ?? ''] ?? `${err.message}`;
    return err.message;
  }
  return t('unknownError');
}

/** The current hash route ("#/pay" → "/pay"), updated on navigation. */
export function useRoute(fallback: string): string {
  const read = () => location.hash.replace(/^#/, '') || fallback;
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(route: string): void {
  location.hash = route;
}

interface NavItem {
  route: string;
  label: string;
}

function LangSwitch() {
  const { lang, setLang } = useLang();
  const { t } = useT(KIT);
  return (
    <div class="lang" role="group" aria-label={t('language')}>
      <button type="button" aria-pressed={lang === 'ja'} onClick={() => setLang('ja')}>
        日本語
      </button>
      <button type="button" aria-pressed={lang === 'en'} onClick={() => setLang('en')}>
        English
      </button>
    </div>
  );
}

export function Shell(props: {
  title: string;
  nav?: NavItem[];
  route?: string;
  aside?: ComponentChildren;
  children: ComponentChildren;
}) {
  const { t } = useT(KIT);
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain}>
        {t('skip')}
      </a>
      <header class="top">
        <span class="brand" aria-hidden="true">
          金庫
        </span>
        <span class="title">{props.title}</span>
        {props.aside}
        <LangSwitch />
      </header>
      {props.nav && props.nav.length > 0 && (
        <Tabs title={props.title} nav={props.nav} route={props.route} />
      )}
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

/** More tabs than this fold into a menu on a phone (styles: nav.tabs.many). */
const PHONE_TABS_MAX = 5;

/**
 * The app's pages as tabs, wrapping onto a second row rather than scrolling any out of view.
 * On a phone, more than PHONE_TABS_MAX of them fold behind a menu button that names the
 * current page: a native button (Enter or Space), Escape closes it, and choosing a page
 * closes it with the focus back on the button.
 */
function Tabs(props: { title: string; nav: NavItem[]; route?: string | undefined }) {
  const { t } = useT(KIT);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const many = props.nav.length > PHONE_TABS_MAX;
  const current = props.nav.find((n) => props.route?.startsWith(n.route));
  const close = () => {
    if (list.current?.contains(document.activeElement)) button.current?.focus();
    setOpen(false);
  };
  useEffect(close, [props.route]);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && open) close();
  };
  return (
    <nav
      class={`tabs${many ? ' many' : ''}${open ? ' open' : ''}`}
      aria-label={props.title}
      onKeyDown={onKey}
    >
      {many && (
        <button
          type="button"
          class="menu"
          ref={button}
          aria-expanded={open}
          aria-controls="tab-list"
          onClick={() => setOpen(!open)}
        >
          {t('menu')}
          {current && <span class="current">{current.label}</span>}
        </button>
      )}
      <div class="tab-list" id="tab-list" ref={list}>
        {props.nav.map((n) => (
          <a href={`#${n.route}`} aria-current={n === current ? 'page' : undefined}>
            {n.label}
          </a>
        ))}
      </div>
    </nav>
  );
}

function skipToMain(e: Event) {
  // The hash carries the route, so the skip link moves focus instead of the hash.
  e.preventDefault();
  document.getElementById('main')?.focus();
}

export function Notice(props: { kind?: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** Loads data once (and again when `deps` change); errors become text. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[] = [],
): { data: T | undefined; error: string | undefined; reload(): void } {
  const { lang } = useLang();
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load().then(
      (d) => live && setData(d),
      (e: unknown) => live && setError(errorText(e, lang)),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

/** Renders an app into #app, replacing the "loading" text the shell shows before it. */
export function mount(app: VNode): void {
  const root = document.getElementById('app');
  if (!root) return;
  root.textContent = '';
  render(app, root);
}

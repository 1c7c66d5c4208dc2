import { useState } from 'preact/hooks';
import { ApiError, call } from '../../ui/api.ts';
import { useT } from '../../ui/i18n.tsx';
import { FormCard, Submit, useForm } from '../../ui/form.tsx';
import { Notice } from '../../ui/kit.tsx';
import { S } from './strings.ts';

// "This was not me": the page the freeze link of every receipt and security notice opens,
// /account/freeze#token=…. The token rides in the fragment, so it reaches no server log and
// no Referer; the page takes it out of the address bar at once and freezes the account only
// when the customer presses the button (a mail scanner that opens the link freezes nothing).
// No session is needed: whoever holds the link may stop the account.

export const FREEZE_PATH = '/account/freeze';

const TOKEN_RE = /^[A-Za-z0-9_-]{1,128}$/;

function takeToken(): string | undefined {
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
  history.replaceState(null, '', location.pathname);
  return TOKEN_RE.test(token) ? token : undefined;
}

export function FreezeByLink() {
  const { t } = useT(S);
  const form = useForm();
  const [token] = useState(takeToken);
  const [state, setState] = useState<'ready' | 'frozen' | 'spent'>(token ? 'ready' : 'spent');
  if (state === 'frozen') return <Notice kind="ok">{t('freezeDone')}</Notice>;
  if (state === 'spent') return <Notice kind="error">{t('freezeLinkSpent')}</Notice>;
  const submit = (e: Event) => {
    e.preventDefault();
    void form.run(async () => {
      try {
        await call('/v1/identity/freeze', { body: { token } });
        setState('frozen');
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'verification_code_invalid') throw err;
        setState('spent');
      }
    });
  };
  const head = (
    <>
      <h1>{t('freezeTitle')}</h1>
      <p>{t('freezeIntro')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head} testId="freeze-by-link">
      <Submit kind="danger">{t('freezeAccount')}</Submit>
    </FormCard>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { LangProvider, useT } from '../../ui/i18n.tsx';
import { mount, navigate, Shell } from '../../ui/kit.tsx';
import {
  CodeField,
  Field,
  FormCard,
  formValues,
  PasswordField,
  Submit,
  useForm,
} from '../../ui/form.tsx';
import { AuditTrail } from './audit.tsx';
import { IncidentsPage } from './incidents.tsx';
import { ReviewsPage } from './reviews.tsx';
import { SwitchesPage } from './switches.tsx';
import { EventsPage, LookupPage } from './pages.tsx';
import type { Role } from './role.ts';
import { VerifyPage } from './verify.tsx';
import { PageWatch } from '../../ui/page-watch.tsx';
import { S } from './strings.ts';

// The operator console: sign-in with password and TOTP (always both), then views by role —
// support looks up and reads the trail; risk analysts also freeze accounts, run verify and
// watch credential stuffing; security admins see everything.

interface Me {
  operator_id: string;
  role: Role;
}

function SignIn(props: { onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const v = formValues(e);
    void form.run(async () => {
      await call('/v1/operator/login', {
        body: { email: v['email'], password: v['password'], totp_code: v['totp_code'] },
      });
      props.onDone();
    }, ['email', 'password', 'totp_code']);
  };
  const head = (
    <>
      <h1>{t('signInTitle')}</h1>
      <p class="muted">{t('signInNote')}</p>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <Field name="email" label={t('email')} type="email" autocomplete="username" required />
      <PasswordField name="password" label={t('password')} required />
      <CodeField name="totp_code" label={t('totp')} required />
      <Submit>{t('signIn')}</Submit>
    </FormCard>
  );
}

const RISK: readonly Role[] = ['risk_analyst', 'security_admin'];

function Views(props: { me: Me; route: string }) {
  const { route, me } = props;
  if (route.startsWith('/audit')) return <AuditTrail />;
  if (route.startsWith('/switches')) return <SwitchesPage me={me} />;
  if (route.startsWith('/incidents')) {
    return <IncidentsPage role={me.role} operatorId={me.operator_id} route={route} />;
  }
  if (route.startsWith('/reviews')) return <ReviewsPage role={me.role} route={route} />;
  if (route.startsWith('/verify') && RISK.includes(me.role)) return <VerifyPage />;
  if (route.startsWith('/events') && RISK.includes(me.role)) return <EventsPage />;
  if (route.startsWith('/payment-pages')) {
    // Kinko's own pages (no merchant) are approved by a security admin; a merchant's by them.
    const api = {
      ...{ base: '/v1/operator/pages', alerts: '/v1/operator/page_alerts', call },
      mayRegister: false,
      mayApprove: (p: { merchant_id: string | null }) =>
        p.merchant_id === null && me.role === 'security_admin',
    };
    return <PageWatch api={api} />;
  }
  return <LookupPage role={me.role} />;
}

function App() {
  const { t } = useT(S);
  const [me, setMe] = useState<Me | null | undefined>();
  const [route, setRoute] = useState(location.hash.replace(/^#/, '') || '/lookup');
  // The probe answers 200 signed in or not, so a fresh load logs no failed request.
  const refresh = () =>
    call<({ signed_in: true } & Me) | { signed_in: false }>('/v1/operator/session/state').then(
      (s) => setMe(s.signed_in ? { operator_id: s.operator_id, role: s.role } : null),
      () => setMe(null),
    );
  useEffect(() => {
    void refresh();
    const on = () => setRoute(location.hash.replace(/^#/, '') || '/lookup');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const signOut = async () => {
    await call('/v1/operator/logout', { body: {} }).catch(() => undefined);
    setMe(null);
  };
  const nav = me
    ? [
        { route: '/lookup', label: t('navLookup') },
        { route: '/audit', label: t('navAudit') },
        { route: '/switches', label: t('navSwitches') },
        { route: '/incidents', label: t('navIncidents') },
        { route: '/payment-pages', label: t('navPaymentPages') },
        { route: '/reviews', label: t('navReviews') },
        ...(RISK.includes(me.role)
          ? [
              { route: '/verify', label: t('navVerify') },
              { route: '/events', label: t('navEvents') },
            ]
          : []),
      ]
    : [];
  const aside = me && (
    <span class="who">
      {t('role', { role: me.role })}{' '}
      <button class="link" onClick={() => void signOut()}>
        {t('signOut')}
      </button>
    </span>
  );
  return (
    <Shell title={t('consoleTitle')} nav={nav} route={route} aside={aside}>
      {me === null && <SignIn onDone={() => void refresh().then(() => navigate('/lookup'))} />}
      {me && <Views me={me} route={route} />}
    </Shell>
  );
}

mount(
  <LangProvider>
    <App />
  </LangProvider>,
);

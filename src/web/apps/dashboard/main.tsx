import { useEffect, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { LangProvider, useT } from '../../ui/i18n.tsx';
import { mount, Shell, useRoute } from '../../ui/kit.tsx';
import { KeysPage, WebhooksPage } from './developers.tsx';
import { dataMode, setDataMode, signOut, whoAmI, type Me } from './merchant.ts';
import { BalancePage, PaymentsPage, RefundsPage } from './payments.tsx';
import { CodePaymentsPage } from './code-payments.tsx';
import { AcceptInvitation, SignIn } from './sign-in.tsx';
import { SecurityPage } from './security.tsx';
import { StoresPage } from './stores.tsx';
import { PageWatch } from '../../ui/page-watch.tsx';
import { mcall } from './merchant.ts';
import { TeamPage } from './team.tsx';
import { S } from './strings.ts';

// The merchant dashboard: payments (card and register), refunds, balance, API keys,
// webhooks, stores and terminals, the team, and one's own passkeys — as the signed-in
// person, whose role decides which pages exist for them (PAGES: a page, its route, and the
// action it needs). A new page is one more row there.

type Key = Parameters<ReturnType<typeof useT<typeof S>>['t']>[0];

interface Page {
  route: string;
  label: Key;
  /** The action (server's access table) the person's role needs for this page. */
  action: string;
  render(id: string | undefined, me: Me): VNode;
}

const PAGES: Page[] = [
  {
    route: '/payments',
    label: 'navPayments',
    action: 'payments:read',
    render: (id) => <PaymentsPage open={id} />,
  },
  {
    route: '/code-payments',
    label: 'codePayments',
    action: 'payments:read',
    render: (id) => <CodePaymentsPage open={id} />,
  },
  {
    route: '/refunds',
    label: 'navRefunds',
    action: 'payments:read',
    render: () => <RefundsPage />,
  },
  { route: '/balance', label: 'balance', action: 'payments:read', render: () => <BalancePage /> },
  { route: '/keys', label: 'navKeys', action: 'keys:write', render: () => <KeysPage /> },
  {
    route: '/webhooks',
    label: 'navWebhooks',
    action: 'webhooks:read',
    render: () => <WebhooksPage />,
  },
  { route: '/stores', label: 'navStores', action: 'merchants:read', render: () => <StoresPage /> },
  {
    route: '/payment-pages',
    label: 'navPaymentPages',
    action: 'pages:read',
    render: (_, me) => (
      <PageWatch
        api={{
          base: '/v1/pages',
          alerts: '/v1/page_alerts',
          call: mcall,
          mayRegister: me.may.includes('pages:write'),
          mayApprove: () => me.may.includes('pages:write'),
        }}
      />
    ),
  },
  {
    route: '/team',
    label: 'navTeam',
    action: 'team.read',
    render: (_, me) => <TeamPage me={me} />,
  },
  // Every role may look after its own passkeys.
  {
    route: '/security',
    label: 'security',
    action: 'team.self',
    render: () => <SecurityPage />,
  },
];

function pagesOf(me: Me): Page[] {
  return PAGES.filter((p) => me.may.includes(p.action));
}

function ModeSwitch() {
  const { t } = useT(S);
  const flip = (e: Event) => {
    setDataMode((e.currentTarget as HTMLInputElement).checked ? 'test' : 'live');
    location.reload();
  };
  return (
    <label class="choice">
      <input type="checkbox" checked={dataMode() === 'test'} onChange={flip} />
      <span>{t('testData')}</span>
    </label>
  );
}

function App() {
  const { t } = useT(S);
  const route = useRoute('/payments');
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    whoAmI().then(setMe, () => setMe(null));
  }, []);
  const invite = /^\/invite\/(kmi_[A-Za-z0-9_-]+)$/.exec(route)?.[1];
  const pages = me ? pagesOf(me) : [];
  const [, section, id] = route.split('/');
  const page = pages.find((p) => p.route === `/${section}`) ?? pages[0];
  const out = () => void signOut().finally(() => setMe(null));
  const aside = me && (
    <>
      <span>
        {me.email} · {t(`role_${me.role as 'admin'}`)}
      </span>
      <ModeSwitch />
      <button class="link" onClick={out}>
        {t('signOut')}
      </button>
    </>
  );
  let body: VNode | null = null;
  if (invite) body = <AcceptInvitation token={invite} onDone={setMe} />;
  else if (me === null) body = <SignIn onDone={setMe} />;
  else if (me && page) body = page.render(id, me);
  const nav = pages.map((p) => ({ route: p.route, label: t(p.label) }));
  return (
    <Shell title={t('dashboardTitle')} nav={invite ? [] : nav} route={route} aside={aside}>
      {body}
    </Shell>
  );
}

mount(
  <LangProvider>
    <App />
  </LangProvider>,
);

import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../ui/api.ts';
import { LangProvider, useT } from '../../ui/i18n.tsx';
import { navigate, Notice, Shell, useRoute, mount } from '../../ui/kit.tsx';
import { NewDevice, SignIn, SignUp, VerifySignUp } from './auth.tsx';
import { FREEZE_PATH, FreezeByLink } from './freeze.tsx';
import { Home, HistoryPage, LimitsPage, ScanPage, TopUpPage } from './money.tsx';
import { PayPage } from './pay.tsx';
import { RecoveryCodes, SecurityPage, StepUpDialog, Factors } from './security.tsx';
import { getSession, onStepUp, type AccountSummary, type StepUpRequest } from './session.ts';
import { S } from './strings.ts';

// The wallet: a phone-first installable app for customers. Signed out it offers sign-up and
// sign-in; signed in it shows the balance, the payment code, top-ups, history and security.

type StepUp = { request: StepUpRequest; resolve(): void; reject(e: unknown): void };

function SignedOut(props: { route: string; onSignedIn(next: string): void }) {
  const { t } = useT(S);
  const [signup, setSignup] = useState<{ id: string; email: string } | undefined>();
  const [newDevice, setNewDevice] = useState<string | undefined>();
  if (newDevice) {
    return <NewDevice customerId={newDevice} onDone={() => props.onSignedIn('/home')} />;
  }
  if (props.route === '/signup') {
    if (signup) {
      const done = () => props.onSignedIn('/setup');
      return <VerifySignUp signupId={signup.id} email={signup.email} onDone={done} />;
    }
    return <SignUp onStarted={(id, email) => setSignup({ id, email })} />;
  }
  const signIn = <SignIn onDone={() => props.onSignedIn('/home')} onNewDevice={setNewDevice} />;
  if (props.route !== '/deleted') return signIn;
  return (
    <>
      <Notice kind="ok">{t('accountDeleted')}</Notice>
      {signIn}
    </>
  );
}

/** Right after sign-up: enrol a passkey or an authenticator app before moving money. */
function Setup(props: { account: AccountSummary; onChanged(): void }) {
  const { t } = useT(S);
  const [codes, setCodes] = useState<string[]>([]);
  return (
    <>
      <h1>{t('setupTitle')}</h1>
      <Notice kind="ok">{t('welcome')}</Notice>
      <Factors
        account={props.account}
        onChanged={(c) => {
          setCodes(c);
          props.onChanged();
        }}
      />
      <RecoveryCodes codes={codes} />
      <a class="button-link" href="#/home">
        {t('continue')}
      </a>
    </>
  );
}

function SignedIn(props: { account: AccountSummary; route: string; refresh(): void }) {
  const { account, route, refresh } = props;
  const signedOut = () => {
    navigate('/signin');
    location.reload();
  };
  if (route.startsWith('/setup')) return <Setup account={account} onChanged={refresh} />;
  if (route.startsWith('/pay')) return <PayPage account={account} />;
  if (route.startsWith('/scan')) return <ScanPage account={account} />;
  if (route.startsWith('/topup')) return <TopUpPage account={account} />;
  if (route.startsWith('/history')) return <HistoryPage />;
  if (route.startsWith('/limits')) return <LimitsPage account={account} />;
  if (route.startsWith('/security')) {
    const deleted = () => {
      navigate('/deleted');
      location.reload();
    };
    return (
      <SecurityPage
        account={account}
        onChanged={refresh}
        onSignedOut={signedOut}
        onDeleted={deleted}
      />
    );
  }
  return <Home account={account} />;
}

function App() {
  const { t } = useT(S);
  const route = useRoute('/home');
  const [account, setAccount] = useState<AccountSummary | null | undefined>();
  const [stepUp, setStepUp] = useState<StepUp | undefined>();
  const refresh = () =>
    getSession().then(setAccount, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setAccount(null);
      else setAccount(null);
    });
  useEffect(() => {
    void refresh();
    onStepUp(
      (request) => new Promise((resolve, reject) => setStepUp({ request, resolve, reject })),
    );
  }, []);
  const nav = account
    ? [
        { route: '/home', label: t('navHome') },
        { route: '/pay', label: t('navPay') },
        { route: '/topup', label: t('navTopUp') },
        { route: '/history', label: t('history') },
        { route: '/security', label: t('security') },
      ]
    : [];
  return (
    <Shell title={t('walletTitle')} nav={nav} route={route}>
      {account === undefined && <p class="muted">{t('loading')}</p>}
      {account === null && (
        <SignedOut
          route={route}
          onSignedIn={(next) => {
            navigate(next);
            void refresh();
          }}
        />
      )}
      {account && <SignedIn account={account} route={route} refresh={() => void refresh()} />}
      {stepUp && (
        <StepUpDialog
          request={stepUp.request}
          onDone={() => {
            setStepUp(undefined);
            stepUp.resolve();
            void refresh();
          }}
          onCancel={() => {
            setStepUp(undefined);
            stepUp.reject(new ApiError(0, { code: 'step_up_cancelled', message: t('cancelled') }));
          }}
        />
      )}
    </Shell>
  );
}

/** A receipt's or notice's freeze link opens this page, whoever is signed in (or no one). */
function FreezePage() {
  const { t } = useT(S);
  return (
    <Shell title={t('walletTitle')}>
      <FreezeByLink />
    </Shell>
  );
}

mount(<LangProvider>{location.pathname === FREEZE_PATH ? <FreezePage /> : <App />}</LangProvider>);

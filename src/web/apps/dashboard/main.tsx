import { useState } from 'preact/hooks';
import { LangProvider, useT } from '../../ui/i18n.tsx';
import { mount, Notice, Shell, useRoute } from '../../ui/kit.tsx';
import { FormCard, formValues, PasswordField, Submit, useForm } from '../../ui/form.tsx';
import { KeysPage, WebhooksPage } from './developers.tsx';
import { mcall, secretKey, setSecretKey } from './merchant.ts';
import { BalancePage, PaymentsPage, RefundsPage } from './payments.tsx';
import { CodePaymentsPage } from './code-payments.tsx';
import { StoresPage } from './stores.tsx';
import { S } from './strings.ts';

// The merchant dashboard: payments (card and register), refunds, balance, API keys,
// webhooks, stores and terminals — all through the merchant API with the secret key.

function SignIn(props: { onDone(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const submit = (e: Event) => {
    const key = formValues(e)['secret_key'] ?? '';
    void form.run(async () => {
      setSecretKey(key);
      try {
        await mcall('/v1/stores');
      } catch (err) {
        setSecretKey(null);
        throw err;
      }
      props.onDone();
    }, ['secret_key']);
  };
  const head = (
    <>
      <h1>{t('signInTitle')}</h1>
      <Notice kind="info">{t('signInNote')}</Notice>
    </>
  );
  return (
    <FormCard form={form} onSubmit={submit} head={head}>
      <PasswordField name="secret_key" label={t('secretKey')} autocomplete="off" required />
      <Submit>{t('signIn')}</Submit>
    </FormCard>
  );
}

function Page(props: { route: string }) {
  const [, section, id] = props.route.split('/');
  switch (section) {
    case 'code-payments':
      return <CodePaymentsPage open={id} />;
    case 'refunds':
      return <RefundsPage />;
    case 'balance':
      return <BalancePage />;
    case 'keys':
      return <KeysPage />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'stores':
      return <StoresPage />;
    default:
      return <PaymentsPage open={id} />;
  }
}

function App() {
  const { t } = useT(S);
  const route = useRoute('/payments');
  const [signedIn, setSignedIn] = useState(secretKey() !== null);
  const nav = signedIn
    ? [
        { route: '/payments', label: t('navPayments') },
        { route: '/code-payments', label: t('codePayments') },
        { route: '/refunds', label: t('navRefunds') },
        { route: '/balance', label: t('balance') },
        { route: '/keys', label: t('navKeys') },
        { route: '/webhooks', label: t('navWebhooks') },
        { route: '/stores', label: t('navStores') },
      ]
    : [];
  const signOut = () => {
    setSecretKey(null);
    setSignedIn(false);
  };
  const aside = signedIn && (
    <button class="link" onClick={signOut}>
      {t('signOut')}
    </button>
  );
  return (
    <Shell title={t('dashboardTitle')} nav={nav} route={route} aside={aside}>
      {signedIn ? <Page route={route} /> : <SignIn onDone={() => setSignedIn(true)} />}
    </Shell>
  );
}

mount(
  <LangProvider>
    <App />
  </LangProvider>,
);

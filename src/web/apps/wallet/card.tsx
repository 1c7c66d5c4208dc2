import { useEffect, useState } from 'preact/hooks';
import { call, newIdempotencyKey } from '../../ui/api.ts';
import { useT } from '../../ui/i18n.tsx';
import { errorText, Notice, useLoad } from '../../ui/kit.tsx';
import { walletCall, type AccountSummary } from './session.ts';
import { S } from './strings.ts';
import { W } from './wallet-api.ts';

// Linked cards. A new card is typed into Kinko's hosted card fields (an iframe; this page
// never sees the number), verified there with 3-D Secure when the card asks, and only its
// token comes back — which the wallet links with a device proof.

interface LinkedCard {
  token: string;
  brand: string;
  last4: string;
}

interface KinkoLoader {
  mount(
    target: Element,
    options: {
      publishableKey: string;
      onToken(card: { token: string; brand: string; last4: string }): void;
      onError(err: { code: string; message: string }): void;
      onChallenge?(): void;
    },
  ): { unmount(): void };
}

/** Loads /js/kinko.js once, with its published SRI hash. */
async function loader(): Promise<KinkoLoader> {
  const existing = (window as { Kinko?: KinkoLoader }).Kinko;
  if (existing) return existing;
  const sri = await call<{ path: string; integrity: string }>(W.hostedLoaderSri);
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = sri.path;
    s.integrity = sri.integrity;
    s.crossOrigin = 'anonymous';
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('kinko.js failed to load'));
    document.head.appendChild(s);
  });
  const k = (window as { Kinko?: KinkoLoader }).Kinko;
  if (!k) throw new Error('kinko.js did not start');
  return k;
}

/** The publishable key for the hosted fields: from the API, else from the page's config. */
function publishableKey(fromApi: string | undefined): string | undefined {
  if (fromApi) return fromApi;
  const meta = document.querySelector('meta[name="kinko-hosted-pk"]');
  return meta?.getAttribute('content') || undefined;
}

function HostedFields(props: { pk: string; account: AccountSummary; onLinked(): void }) {
  const { t, lang } = useT(S);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let mounted: { unmount(): void } | undefined;
    const el = document.getElementById('card-fields');
    loader()
      .then((k) => {
        if (!el) return;
        mounted = k.mount(el, {
          publishableKey: props.pk,
          onToken: (card) => {
            walletCall(W.cards, {
              account: props.account,
              action: 'card_link',
              idempotencyKey: newIdempotencyKey(),
              body: { card_token: card.token },
            }).then(props.onLinked, (e: unknown) => setError(errorText(e, lang)));
          },
          onError: (e) => setError(e.message || e.code),
          // The issuer's check opened for a new attempt: an earlier decline is stale.
          onChallenge: () => setError(undefined),
        });
      })
      .catch((e: unknown) => setError(errorText(e, lang)));
    return () => mounted?.unmount();
  }, [props.pk]);
  return (
    <section class="card" aria-labelledby="link-h">
      <h2 id="link-h">{t('linkCard')}</h2>
      <p class="muted">{t('linkCardNote')}</p>
      {error && <Notice kind="error">{error}</Notice>}
      <div id="card-fields" />
    </section>
  );
}

export function CardLink(props: { account: AccountSummary; onSelected(token: string): void }) {
  const { t } = useT(S);
  const cards = useLoad(() => call<{ data: LinkedCard[]; publishable_key?: string }>(W.cards));
  const [adding, setAdding] = useState(false);
  const [chosen, setChosen] = useState<string | undefined>();
  const list = cards.data?.data ?? [];
  useEffect(() => {
    const first = list[0];
    if (!chosen && first) {
      setChosen(first.token);
      props.onSelected(first.token);
    }
  }, [cards.data]);
  const pk = publishableKey(cards.data?.publishable_key);
  return (
    <>
      {cards.error && <Notice kind="error">{cards.error}</Notice>}
      {list.length > 0 && (
        <fieldset class="card">
          <legend>{t('payWithCard')}</legend>
          {list.map((c) => (
            <label class="choice">
              <input
                type="radio"
                name="card"
                value={c.token}
                checked={chosen === c.token}
                onChange={() => {
                  setChosen(c.token);
                  props.onSelected(c.token);
                }}
              />{' '}
              {c.brand.toUpperCase()} •••• {c.last4}
            </label>
          ))}
        </fieldset>
      )}
      {(adding || (cards.data && list.length === 0)) && pk && (
        <HostedFields
          pk={pk}
          account={props.account}
          onLinked={() => {
            setAdding(false);
            cards.reload();
          }}
        />
      )}
      {cards.data && !pk && <Notice kind="error">{t('noHostedKey')}</Notice>}
      {list.length > 0 && !adding && (
        <button class="link" onClick={() => setAdding(true)}>
          {t('addCard')}
        </button>
      )}
    </>
  );
}

import { useState } from 'preact/hooks';
import { call } from '../../ui/api.ts';
import { useT } from '../../ui/i18n.tsx';
import { Notice } from '../../ui/kit.tsx';
import { FormError, useForm } from '../../ui/form.tsx';
import { S } from './strings.ts';

// Audit verify from the console, in plain words: whether the chain holds, how many of the
// newest entries no signed checkpoint covers yet, and what this server's anchor file (kept
// outside the database) says — current, behind by how many entries, unreadable lines, or
// in disagreement with the database (then verify fails).

/** What POST /v1/operator/audit/verify answers (audit/routes.ts verifyView). */
type VerifyResult =
  | {
      ok: true;
      entries: string;
      checkpoints: number;
      exported_checkpoints: number;
      uncovered_entries: string;
      anchor: {
        seq: string;
        lines: number;
        unreadable_lines: number;
        behind_entries: string;
      } | null;
    }
  | { ok: false; seq: string; problem: string };

type Ok = Extract<VerifyResult, { ok: true }>;

function Coverage(props: { result: Ok }) {
  const { t } = useT(S);
  const { uncovered_entries: uncovered, anchor } = props.result;
  return (
    <div data-testid="verify-coverage">
      {uncovered === '0' ? (
        <Notice kind="ok">{t('uncoveredNone')}</Notice>
      ) : (
        <Notice kind="info">{t('uncoveredSome', { count: uncovered })}</Notice>
      )}
      {anchor === null && <Notice kind="info">{t('anchorNone')}</Notice>}
      {anchor && anchor.behind_entries === '0' && (
        <Notice kind="ok">{t('anchorCurrent', { seq: anchor.seq })}</Notice>
      )}
      {anchor && anchor.behind_entries !== '0' && (
        <Notice kind="info">
          {t('anchorBehind', { behind: anchor.behind_entries, seq: anchor.seq })}
        </Notice>
      )}
      {anchor && anchor.unreadable_lines > 0 && (
        <Notice kind="error">
          {t('anchorUnreadable', { count: String(anchor.unreadable_lines) })}
        </Notice>
      )}
    </div>
  );
}

export function VerifyPage() {
  const { t } = useT(S);
  const form = useForm();
  const [result, setResult] = useState<VerifyResult | undefined>();
  const run = () =>
    form.run(async () => {
      setResult(undefined);
      setResult(await call<VerifyResult>('/v1/operator/audit/verify', { body: {} }));
    });
  return (
    <section class="card">
      <h1>{t('verifyTitle')}</h1>
      <p>{t('verifyIntro')}</p>
      <FormError form={form} />
      <button class="primary" disabled={form.busy} onClick={() => void run()}>
        {t('runVerify')}
      </button>
      {result?.ok === true && (
        <>
          <Notice kind="ok">
            {t('verifyOk', { entries: result.entries, checkpoints: String(result.checkpoints) })}
          </Notice>
          <Coverage result={result} />
        </>
      )}
      {result?.ok === false && (
        <>
          {/* Every problem the anchor finds names it ("anchored checkpoint", "the anchor"). */}
          {/\banchor/.test(result.problem) && <Notice kind="error">{t('anchorBroken')}</Notice>}
          <Notice kind="error">
            {t('verifyBad', { seq: result.seq, problem: result.problem })}
          </Notice>
        </>
      )}
    </section>
  );
}

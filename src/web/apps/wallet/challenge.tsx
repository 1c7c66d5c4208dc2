import { useEffect } from 'preact/hooks';
import { useT } from '../../ui/i18n.tsx';
import { Modal } from '../../ui/modal.tsx';
import { S } from './strings.ts';

// A 3-D Secure challenge in a frame on Kinko's own origin, in a modal dialog: on a phone a
// box further down the page was out of sight and the form behind it stayed usable. When it
// ends, the challenge page posts { type: 'kinko:3ds-finished' } to this page; only that
// frame is listened to.

export function ChallengeFrame(props: { url: string; onFinished(status: string): void }) {
  const { t } = useT(S);
  useEffect(() => {
    const frame = document.getElementById('challenge-frame') as HTMLIFrameElement | null;
    const on = (e: MessageEvent) => {
      if (e.origin !== location.origin || e.source !== frame?.contentWindow) return;
      const data = e.data as { type?: string; status?: string } | null;
      if (data?.type === 'kinko:3ds-finished') props.onFinished(String(data.status));
    };
    window.addEventListener('message', on);
    return () => window.removeEventListener('message', on);
  }, [props.url]);
  return (
    <Modal labelledBy="challenge-h" class="challenge" testId="challenge-dialog">
      <h2 id="challenge-h">{t('challengeTitle')}</h2>
      <p class="muted">{t('challengeIntro')}</p>
      <iframe
        id="challenge-frame"
        class="hosted"
        src={props.url}
        title={t('challengeTitle')}
        data-autofocus
      />
    </Modal>
  );
}

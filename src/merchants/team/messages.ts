import type { NotifyMessage } from '../../notify/index.ts';
import type { MerchantRole } from './access.ts';

// The texts the team sends, Japanese first and then English, as every Kinko message.

const ROLE_NAMES: Record<MerchantRole, { ja: string; en: string }> = {
  owner: { ja: 'オーナー', en: 'owner' },
  admin: { ja: '管理者', en: 'admin' },
  developer: { ja: '開発者', en: 'developer' },
  analyst: { ja: 'アナリスト', en: 'analyst' },
  store_manager: { ja: '店舗マネージャー', en: 'store manager' },
};

export function invitationMessage(
  to: string,
  merchantName: string,
  role: MerchantRole,
  link: string,
  expiresAt: Date,
): NotifyMessage {
  const r = ROLE_NAMES[role];
  const until = expiresAt.toISOString();
  return {
    channel: 'email',
    to,
    subject: `【Kinko】${merchantName} のダッシュボードへの招待 / Invitation to ${merchantName}`,
    text:
      `${merchantName} のダッシュボードに${r.ja}として招待されました。次のリンクから` +
      `パスワードと認証アプリ（必須）を設定してください（${until} まで有効）。\n${link}\n\n` +
      `You are invited to ${merchantName}'s Kinko dashboard as ${r.en}. Set your password ` +
      `and authenticator app (required) at the link above; it works until ${until}.\n` +
      '心当たりがない場合は、このメールを無視してください。 / If you did not expect this, ' +
      'ignore this email.',
  };
}

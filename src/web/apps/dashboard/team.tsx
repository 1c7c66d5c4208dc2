import { useState } from 'preact/hooks';
import { dateTime, useT } from '../../ui/i18n.tsx';
import { Notice, useLoad } from '../../ui/kit.tsx';
import { Field, FormCard, FormError, formValues, Select, Submit, useForm } from '../../ui/form.tsx';
import { mcall, type List, type Me } from './merchant.ts';
import { S } from './strings.ts';

// The team: who can sign in to this merchant's dashboard, with which role, and the open
// invitations. Owners and admins invite by email (the link goes by email and expires) and
// remove people, whose sessions end at once. The owner is never invited or removed here.

interface Person {
  id: string;
  email: string;
  role: string;
  store_ids: string[];
  locked: boolean;
  created_at: string;
}

interface Invitation {
  id: string;
  email: string;
  role: string;
  store_ids: string[];
  expires_at: string;
}

const ROLES = ['admin', 'developer', 'analyst', 'store_manager'] as const;

function InviteForm(props: { me: Me; onInvited(): void }) {
  const { t } = useT(S);
  const form = useForm();
  const [role, setRole] = useState<string>('analyst');
  const stores = useLoad(() => mcall<List<{ id: string; name: string }>>('/v1/stores'));
  const roles = ROLES.filter((r) => props.me.role === 'owner' || r !== 'admin');
  const submit = (e: Event) => {
    const v = formValues(e);
    const storeIds = stores.data?.data.filter((s) => v[`store:${s.id}`]).map((s) => s.id);
    void form.run(async () => {
      const body = {
        email: v['email'],
        role,
        ...(role === 'store_manager' ? { store_ids: storeIds ?? [] } : {}),
      };
      await mcall('/v1/team/invitations', { body });
      (e.target as HTMLFormElement).reset();
      props.onInvited();
    }, ['email', 'role', 'store_ids']);
  };
  return (
    <FormCard form={form} onSubmit={submit} head={<h2>{t('inviteSomeone')}</h2>} testId="invite">
      <Field name="email" type="email" label={t('email')} required />
      <Select
        name="role"
        label={t('role')}
        value={role}
        onChange={setRole}
        options={roles.map((r) => [r, t(`role_${r}`)])}
      />
      {role === 'store_manager' && (
        <fieldset class="scopes">
          <legend>{t('managerStores')}</legend>
          {stores.data?.data.map((s) => (
            <label class="choice">
              <input type="checkbox" name={`store:${s.id}`} />
              <span>{s.name}</span>
            </label>
          ))}
          {form.errors['store_ids'] && <p class="field-error">{form.errors['store_ids']}</p>}
        </fieldset>
      )}
      <Submit>{t('sendInvitation')}</Submit>
    </FormCard>
  );
}

function PersonRow(props: { p: Person; me: Me; onChanged(): void }) {
  const { t, lang } = useT(S);
  const form = useForm();
  const { p } = props;
  const manageable = p.role !== 'owner' && (props.me.role === 'owner' || p.role !== 'admin');
  const remove = () =>
    form.run(async () => {
      await mcall(`/v1/team/people/${encodeURIComponent(p.id)}/remove`, { body: {} });
      props.onChanged();
    });
  return (
    <tr data-testid="team-person">
      <td>{p.email}</td>
      <td>{t(`role_${p.role as (typeof ROLES)[number]}`)}</td>
      <td>{p.locked ? t('locked') : ''}</td>
      <td>{dateTime(p.created_at, lang)}</td>
      <td>
        {manageable && p.id !== props.me.person_id && (
          <button class="danger" disabled={form.busy} onClick={() => void remove()}>
            {t('removePerson')}
          </button>
        )}
        <FormError form={form} />
      </td>
    </tr>
  );
}

export function TeamPage(props: { me: Me }) {
  const { t, lang } = useT(S);
  const team = useLoad(() => mcall<{ people: Person[]; invitations: Invitation[] }>('/v1/team'));
  const [sent, setSent] = useState(false);
  const revoke = async (id: string) => {
    await mcall(`/v1/team/invitations/${encodeURIComponent(id)}/revoke`, { body: {} });
    team.reload();
  };
  return (
    <>
      <h1>{t('teamTitle')}</h1>
      <p class="muted">{t('teamNote')}</p>
      {team.error && <Notice kind="error">{team.error}</Notice>}
      {sent && <Notice kind="ok">{t('invitationSent')}</Notice>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('email')}</th>
              <th>{t('role')}</th>
              <th>{t('status')}</th>
              <th>{t('created')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {team.data?.people.map((p) => (
              <PersonRow p={p} me={props.me} onChanged={team.reload} />
            ))}
            {team.data?.invitations.map((i) => (
              <tr data-testid="team-invitation">
                <td>{i.email}</td>
                <td>{t(`role_${i.role as (typeof ROLES)[number]}`)}</td>
                <td>{t('invitedUntil', { when: dateTime(i.expires_at, lang) })}</td>
                <td />
                <td>
                  <button class="link" onClick={() => void revoke(i.id)}>
                    {t('revokeInvitation')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <InviteForm
        me={props.me}
        onInvited={() => {
          setSent(true);
          team.reload();
        }}
      />
    </>
  );
}

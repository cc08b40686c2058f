// Operators, for administrators (who manage them) and auditors (who read): the set, the seal,
// the queue of changes awaiting a second administrator, and the decided ones. The services
// decide; this page only offers what the signed-in operator may try.
import { getFormatter, getTranslations } from 'next-intl/server';
import { stepUpLimitText } from '../../../components/stepUpLimit';
import {
  approveOperatorChange,
  disableOperatorNow,
  rejectOperatorChange,
  requestOperatorChange,
  sealOperatorSet,
} from '../../adminActions';
import { AdminActionForm } from '../../../components/AdminActionForm';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { DataTable, rowClass } from '../../../components/DataTable';
import { cardClass, inputClass, labelClass, smallButtonClass, smallInputClass, tdClass } from '../../../components/ui';
import { governanceSeal, listOperatorChanges, listOperators, OperatorRole, type ChangeRequestView } from '../../../lib/ca';
import { consoleServices } from '../../../lib/server/ca';
import { pageOperatorFor } from '../../../lib/server/session';

const ROLES = Object.values(OperatorRole);
const HERE = '/operators';

export default async function OperatorsPage() {
  const session = await pageOperatorFor(HERE);
  if (!session.ok) return <FormErrorStatic error={session.error} />;
  const me = session.value.operator;
  const t = await getTranslations('operators');
  const a = await getTranslations('operatorAdmin');
  const roles = await getTranslations('nav.roles');
  const format = await getFormatter();
  const { ca } = await consoleServices();
  const [listed, changes, seal] = await Promise.all([listOperators(ca, me), listOperatorChanges(ca, me), governanceSeal(ca)]);
  if (!listed.ok) return <FormErrorStatic error={listed.error} />;
  if (!changes.ok) return <FormErrorStatic error={changes.error} />;
  const isAdmin = me.roles.includes('ADMIN');
  const when = (d: Date) => format.dateTime(d, { dateStyle: 'medium', timeStyle: 'short' });
  const pending = changes.value.filter((c) => c.state === 'PENDING');
  const decided = changes.value.filter((c) => c.state !== 'PENDING').reverse();
  const describe = (c: ChangeRequestView) => {
    const p = c.payload as { roles?: OperatorRole[]; to?: OperatorRole[]; displayName?: string };
    const role = (p.roles ?? p.to ?? []).map((r) => roles(r)).join(', ');
    return a(`kind.${c.kind}`, { target: c.target, role, name: p.displayName ?? '' });
  };
  const requestColumns = [a('request'), a('change'), a('requestedBy'), a('requestedAt'), a('decision')];
  const empty = <p className="text-sm text-slate-700" data-testid="queue-empty">{a('queueEmpty')}</p>;
  const queue = (
    <DataTable testId="queue" caption={a('queueTitle')} columns={requestColumns} className="">
          {pending.map((c) => (
            <tr key={c.id} className={rowClass} data-request={c.id} data-target={c.target}>
              <td className={`${tdClass} font-mono`}>#{c.id}</td>
              <td className={tdClass}>{describe(c)}</td>
              <td className={`${tdClass} font-mono`} data-testid="requested-by">{c.requestedBy}</td>
              <td className={tdClass}>{when(c.requestedAt)}</td>
              <td className={tdClass}>
                {!isAdmin ? (
                  a('awaiting')
                ) : c.requestedBy === me.username ? (
                  <span data-testid="own-request">{a('ownRequest')}</span>
                ) : (
                  <button type="submit" name="requestId" value={c.id} className={smallButtonClass}>{a('approve', { id: c.id })}</button>
                )}
              </td>
            </tr>
          ))}
    </DataTable>
  );
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>

      <section className={cardClass} aria-labelledby="seal-title">
        <h2 id="seal-title" className="text-lg font-semibold">{a('sealTitle')}</h2>
        {seal ? (
          <p className="mt-1 text-sm" data-testid="seal-state" data-sealed="true">{a('sealed', { at: when(seal.sealedAt), count: seal.operators.length })}</p>
        ) : (
          <>
            <p className="mt-1 text-sm" data-testid="seal-state" data-sealed="false">{a('notSealed')}</p>
            {isAdmin ? <AdminActionForm id="seal" action={sealOperatorSet} submit={a('seal')} returnTo={HERE} className="mt-3 space-y-3" /> : null}
          </>
        )}
      </section>

      {isAdmin ? (
        <section className={cardClass} aria-labelledby="create-title">
          <h2 id="create-title" className="text-lg font-semibold">{a('createTitle')}</h2>
          <p className="mt-1 mb-3 text-sm text-slate-700">{seal ? a('createIntroSealed') : a('createIntroBootstrap')}</p>
          <AdminActionForm id="create-operator" action={requestOperatorChange} submit={seal ? a('requestCreate') : a('create')} returnTo={HERE} className="grid max-w-2xl grid-cols-1 gap-4 sm:grid-cols-2">
            <input type="hidden" name="kind" value="CREATE" />
            <div>
              <label htmlFor="new-username" className={labelClass}>{t('username')}</label>
              <input id="new-username" name="username" required autoComplete="off" spellCheck={false} pattern="[a-z][a-z0-9._\-]{1,63}" aria-describedby="new-username-hint" className={inputClass} />
              <p id="new-username-hint" className="mt-1 text-xs text-slate-600">{a('usernameHint')}</p>
            </div>
            <div>
              <label htmlFor="new-display-name" className={labelClass}>{t('displayName')}</label>
              <input id="new-display-name" name="displayName" required autoComplete="off" className={inputClass} />
            </div>
            <div>
              <label htmlFor="new-role" className={labelClass}>{t('role')}</label>
              <select id="new-role" name="role" required className={inputClass} defaultValue="OFFICER">
                {ROLES.map((r) => <option key={r} value={r}>{roles(r)}</option>)}
              </select>
            </div>
          </AdminActionForm>
        </section>
      ) : null}

      <section className={cardClass} aria-labelledby="queue-title">
        <h2 id="queue-title" className="text-lg font-semibold">{a('queueTitle')}</h2>
        {/* The approval form stays mounted when the queue empties: the last approval's one-time password is in its answer. */}
        {isAdmin ? (
          <AdminActionForm id="approve" action={approveOperatorChange} returnTo={HERE} className="mt-3 space-y-3">
            {pending.length === 0 ? empty : queue}
            <p className="text-xs text-slate-600">{a('approveHint', { limit: await stepUpLimitText() })}</p>
          </AdminActionForm>
        ) : (
          <div className="mt-3">{pending.length === 0 ? empty : queue}</div>
        )}
        {isAdmin && pending.length > 0 ? (
          <AdminActionForm id="reject" action={rejectOperatorChange} submit={a('reject')} returnTo={HERE} className="mt-4 flex flex-wrap items-end gap-3" danger>
            <div>
              <label htmlFor="reject-request" className={labelClass}>{a('request')}</label>
              <select id="reject-request" name="requestId" className={smallInputClass}>
                {pending.map((c) => <option key={c.id} value={c.id}>#{c.id} {c.target}</option>)}
              </select>
            </div>
            <div>
              <label htmlFor="reject-reason" className={labelClass}>{a('reason')}</label>
              <input id="reject-reason" name="reason" required className={smallInputClass} />
            </div>
          </AdminActionForm>
        ) : null}
      </section>

      <section className={cardClass} aria-labelledby="operators-title">
        <h2 id="operators-title" className="text-lg font-semibold">{a('setTitle')}</h2>
        <DataTable testId="operators" caption={t('title')} columns={[t('username'), t('displayName'), t('role'), t('status'), t('secondFactor'), t('created'), ...(isAdmin ? [a('actions')] : [])]}>
              {listed.value.map((o) => (
                <tr key={o.id} className={rowClass} data-username={o.username}>
                  <td className={`${tdClass} font-mono`}>{o.username}</td>
                  <td className={tdClass}>{o.displayName}</td>
                  <td className={tdClass}>{o.roles.map((r) => roles(r)).join(', ')}</td>
                  <td className={tdClass}>{t(o.status === 'ACTIVE' ? 'active' : 'disabled')}{o.mustChangePassword ? ` · ${t('oneTimePassword')}` : ''}</td>
                  <td className={tdClass}>{t(o.secondFactorEnrolled ? 'enrolled' : 'notEnrolled')}</td>
                  <td className={tdClass}>{format.dateTime(o.createdAt, { dateStyle: 'medium' })}</td>
                  {isAdmin ? (
                    <td className={`${tdClass} min-w-64 space-y-2`}>
                      <AdminActionForm id={`role-${o.id}`} action={requestOperatorChange} returnTo={HERE} className="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="kind" value="SET_ROLES" />
                        <input type="hidden" name="username" value={o.username} />
                        <label htmlFor={`role-select-${o.id}`} className="sr-only">{a('newRoleFor', { username: o.username })}</label>
                        <select id={`role-select-${o.id}`} name="role" defaultValue={o.roles[0]} className={smallInputClass}>
                          {ROLES.map((r) => <option key={r} value={r}>{roles(r)}</option>)}
                        </select>
                        <button type="submit" className={smallButtonClass}>{a('changeRole')}<span className="sr-only"> {o.username}</span></button>
                      </AdminActionForm>
                      <div className="flex flex-wrap gap-2">
                        {o.status === 'ACTIVE' ? (
                          <AdminActionForm id={`disable-${o.id}`} action={disableOperatorNow} returnTo={HERE}>
                            <input type="hidden" name="username" value={o.username} />
                            <button type="submit" className={smallButtonClass}>{a('disable')}<span className="sr-only"> {o.username}</span></button>
                          </AdminActionForm>
                        ) : (
                          <AdminActionForm id={`enable-${o.id}`} action={requestOperatorChange} returnTo={HERE}>
                            <input type="hidden" name="kind" value="ENABLE" />
                            <input type="hidden" name="username" value={o.username} />
                            <button type="submit" className={smallButtonClass}>{a('enable')}<span className="sr-only"> {o.username}</span></button>
                          </AdminActionForm>
                        )}
                        <AdminActionForm id={`password-${o.id}`} action={requestOperatorChange} returnTo={HERE}>
                          <input type="hidden" name="kind" value="RESET_PASSWORD" />
                          <input type="hidden" name="username" value={o.username} />
                          <button type="submit" className={smallButtonClass}>{a('resetPassword')}<span className="sr-only"> {o.username}</span></button>
                        </AdminActionForm>
                        {o.secondFactorEnrolled ? (
                          <AdminActionForm id={`reset-${o.id}`} action={requestOperatorChange} returnTo={HERE}>
                            <input type="hidden" name="kind" value="RESET_SECOND_FACTOR" />
                            <input type="hidden" name="username" value={o.username} />
                            <button type="submit" className={smallButtonClass}>{a('resetSecondFactor')}<span className="sr-only"> {o.username}</span></button>
                          </AdminActionForm>
                        ) : null}
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
        </DataTable>
      </section>

      <section className={cardClass} aria-labelledby="decided-title">
        <h2 id="decided-title" className="text-lg font-semibold">{a('decidedTitle')}</h2>
        {decided.length === 0 ? (
          <p className="mt-1 text-sm text-slate-700">{a('decidedEmpty')}</p>
        ) : (
          <DataTable testId="decided" caption={a('decidedTitle')} columns={requestColumns}>
                {decided.map((c) => (
                  <tr key={c.id} className={rowClass} data-request={c.id} data-state={c.state}>
                    <td className={`${tdClass} font-mono`}>#{c.id}</td>
                    <td className={tdClass}>{describe(c)}</td>
                    <td className={`${tdClass} font-mono`}>{c.requestedBy}</td>
                    <td className={tdClass}>{when(c.requestedAt)}</td>
                    <td className={tdClass}>
                      {a(c.state === 'APPROVED' ? 'approvedBy' : 'rejectedBy', { by: c.decidedBy ?? '', at: c.decidedAt ? when(c.decidedAt) : '', reason: c.reason ?? '' })}
                    </td>
                  </tr>
                ))}
          </DataTable>
        )}
      </section>
    </div>
  );
}

// One institution: its code, names and contacts, its status with the changes the services allow
// (an issuer's withdrawal is asked by one operator and approved by another officer), and its
// history from the audit chain.
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { approveInstitutionWithdrawal, changeInstitutionStatus, rejectInstitutionWithdrawal } from '../../../adminActions';
import { AdminActionForm } from '../../../../components/AdminActionForm';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { institutionName } from '../../../../components/institutionName';
import { DataTable, rowClass } from '../../../../components/DataTable';
import { cardClass, labelClass, smallInputClass, tdClass } from '../../../../components/ui';
import { findInstitution, institutionHistory, InstitutionStatus } from '../../../../lib/ca';
import { Code, err } from '../../../../lib/errors';
import { consoleServices } from '../../../../lib/server/ca';
import { pageOperatorFor } from '../../../../lib/server/session';

const NEXT: Readonly<Record<InstitutionStatus, readonly InstitutionStatus[]>> = { ACTIVE: ['SUSPENDED', 'WITHDRAWN'], SUSPENDED: ['ACTIVE', 'WITHDRAWN'], WITHDRAWN: [] };

export default async function InstitutionPage({ params }: { params: Promise<{ id: string }> }) {
  const session = await pageOperatorFor('/institutions/[id]');
  if (!session.ok) return <FormErrorStatic error={session.error} />;
  const me = session.value.operator;
  const { id: idText } = await params;
  const id = /^[1-9]\d{0,9}$/.test(idText) ? Number(idText) : null;
  const { ca } = await consoleServices();
  const found = id === null ? err(Code.INSTITUTION_NOT_FOUND, `no institution ${idText}`, { field: 'institution' }) : await findInstitution(ca, { id });
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const i = found.value;
  const history = await institutionHistory(ca, me, i.id);
  if (!history.ok) return <FormErrorStatic error={history.error} />;
  const t = await getTranslations('institutionAdmin');
  const format = await getFormatter();
  const locale = await getLocale();
  const when = (d: Date) => format.dateTime(d, { dateStyle: 'medium', timeStyle: 'short' });
  const here = `/institutions/${i.id}`;
  const mayChange = me.roles.some((r) => r === 'ADMIN' || r === 'OFFICER');
  const code = Buffer.from(i.code).toString('hex').toUpperCase();
  // Who asked for the pending withdrawal, by name: the chain's last withdrawal request.
  const requester = i.pendingWithdrawal ? (history.value.findLast((e) => e.action === 'institution.withdrawalRequested')?.actor ?? null) : null;
  return (
    <div className="space-y-6">
      <p className="text-sm"><Link href="/institutions" className="text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{institutionName(i, locale)}</h1>
      <section className={cardClass} aria-labelledby="facts-title">
        <h2 id="facts-title" className="text-lg font-semibold">{t('facts')}</h2>
        <dl className="mt-3 grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]">
          <dt className="font-medium text-slate-700">{t('kind')}</dt><dd>{t(`kinds.${i.kind}`)}</dd>
          <dt className="font-medium text-slate-700">{t('code')}</dt><dd className="font-mono" data-testid="institution-code">{code}</dd>
          <dt className="font-medium text-slate-700">{t('nameZh')}</dt><dd lang="zh-CN">{i.nameZh}</dd>
          <dt className="font-medium text-slate-700">{t('nameEn')}</dt><dd lang="en">{i.nameEn ?? '—'}</dd>
          <dt className="font-medium text-slate-700">{t('status')}</dt><dd data-testid="institution-status" data-status={i.status}>{t(`statuses.${i.status}`)}</dd>
          <dt className="font-medium text-slate-700">{t('created')}</dt><dd>{when(i.createdAt)}</dd>
        </dl>
      </section>

      <section className={cardClass} aria-labelledby="contacts-title">
        <h2 id="contacts-title" className="text-lg font-semibold">{t('contactsTitle')}</h2>
        {i.contacts.length === 0 ? (
          <p className="mt-1 text-sm text-slate-700">{t('noContacts')}</p>
        ) : (
          <DataTable testId="contacts" caption={t('contactsTitle')} columns={[...(['name', 'role', 'email', 'phone'] as const).map((k) => t(`contact.${k}`))]}>
                {i.contacts.map((c, n) => (
                  <tr key={n} className={rowClass}>
                    <td className={tdClass}>{c.name}</td>
                    <td className={tdClass}>{c.role ?? '—'}</td>
                    <td className={tdClass}>{c.email ?? '—'}</td>
                    <td className={tdClass}>{c.phone ?? '—'}</td>
                  </tr>
                ))}
          </DataTable>
        )}
      </section>

      <section className={cardClass} aria-labelledby="status-title">
        <h2 id="status-title" className="text-lg font-semibold">{t('statusTitle')}</h2>
        {i.pendingWithdrawal ? (
          <div className="mt-2 space-y-3" data-testid="withdrawal-pending">
            <p className="text-sm">{t('withdrawalAsked', { by: requester ?? '', at: when(i.pendingWithdrawal.requestedAt), reason: i.pendingWithdrawal.reason })}</p>
            {me.roles.includes('OFFICER') && requester !== me.username ? (
              <AdminActionForm id="approve-withdrawal" action={approveInstitutionWithdrawal} submit={t('approveWithdrawal')} returnTo={here} danger>
                <input type="hidden" name="institutionId" value={i.id} />
              </AdminActionForm>
            ) : null}
            {mayChange ? (
              <AdminActionForm id="reject-withdrawal" action={rejectInstitutionWithdrawal} submit={t('rejectWithdrawal')} returnTo={here} className="flex flex-wrap items-end gap-3">
                <input type="hidden" name="institutionId" value={i.id} />
                <div>
                  <label htmlFor="reject-reason" className={labelClass}>{t('reason')}</label>
                  <input id="reject-reason" name="reason" required className={smallInputClass} />
                </div>
              </AdminActionForm>
            ) : null}
          </div>
        ) : null}
        {mayChange && NEXT[i.status].length > 0 ? (
          <AdminActionForm id="change-status" action={changeInstitutionStatus} submit={t('changeStatus')} returnTo={here} className="mt-3 flex flex-wrap items-end gap-3">
            <input type="hidden" name="institutionId" value={i.id} />
            <div>
              <label htmlFor="new-status" className={labelClass}>{t('newStatus')}</label>
              <select id="new-status" name="status" className={smallInputClass}>
                {NEXT[i.status].map((s) => <option key={s} value={s}>{t(`statuses.${s}`)}</option>)}
              </select>
            </div>
            <div>
              <label htmlFor="status-reason" className={labelClass}>{t('reason')}</label>
              <input id="status-reason" name="reason" required className={smallInputClass} />
            </div>
          </AdminActionForm>
        ) : null}
        {i.kind === 'ISSUER' && i.status !== 'WITHDRAWN' ? <p className="mt-3 text-xs text-slate-600">{t('withdrawalHint')}</p> : null}
      </section>

      <section className={cardClass} aria-labelledby="history-title">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="history-title" className="text-lg font-semibold">{t('historyTitle')}</h2>
          <a href={`/institutions/${i.id}/history.csv`} className="text-sm font-medium text-sky-800 underline" download>{t('historyCsv')}</a>
        </div>
        <DataTable testId="history" caption={t('historyTitle')} columns={[t('when'), t('who'), t('event')]}>
              {history.value.map((e, n) => (
                <tr key={n} className={rowClass} data-action={e.action}>
                  <td className={tdClass}>{when(e.time)}</td>
                  <td className={`${tdClass} font-mono`}>{e.actor}</td>
                  <td className={tdClass}>{eventText(t, e.action, e.details)}</td>
                </tr>
              ))}
        </DataTable>
      </section>
    </div>
  );
}

type Translate = Awaited<ReturnType<typeof getTranslations<'institutionAdmin'>>>;

function eventText(t: Translate, action: string, details: Readonly<Record<string, unknown>>): string {
  const status = (s: unknown) => (typeof s === 'string' && s in NEXT ? t(`statuses.${s as InstitutionStatus}`) : String(s ?? ''));
  const reason = typeof details.reason === 'string' ? details.reason : '';
  switch (action) {
    case 'institution.create': return t('events.create');
    case 'institution.update': return t('events.update');
    case 'institution.status': return t('events.status', { from: status(details.from), to: status(details.to), reason });
    case 'institution.withdrawalRequested': return t('events.withdrawalRequested', { reason });
    case 'institution.withdrawalRejected': return t('events.withdrawalRejected', { reason });
    default: return action;
  }
}

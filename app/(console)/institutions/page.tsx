// Institutions (issuers, acquirers, issuing platforms): everyone reads the list; officers and
// administrators register new ones (the center allocates the code unless one is given).
import { getLocale, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { registerInstitution } from '../../adminActions';
import { AdminActionForm } from '../../../components/AdminActionForm';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { institutionName } from '../../../components/institutionName';
import { DataTable, rowClass } from '../../../components/DataTable';
import { cardClass, inputClass, labelClass, tdClass } from '../../../components/ui';
import { InstitutionKind, listInstitutions } from '../../../lib/ca';
import { consoleServices } from '../../../lib/server/ca';
import { pageOperatorFor } from '../../../lib/server/session';

const HERE = '/institutions';
const CONTACT_FIELDS = [
  { key: 'name', type: 'text', autoComplete: 'off' },
  { key: 'role', type: 'text', autoComplete: 'off' },
  { key: 'email', type: 'email', autoComplete: 'off' },
  { key: 'phone', type: 'tel', autoComplete: 'off' },
] as const;

export default async function InstitutionsPage() {
  const session = await pageOperatorFor(HERE);
  if (!session.ok) return <FormErrorStatic error={session.error} />;
  const me = session.value.operator;
  const t = await getTranslations('institutionAdmin');
  const locale = await getLocale();
  const institutions = await listInstitutions((await consoleServices()).ca);
  const mayChange = me.roles.some((r) => r === 'ADMIN' || r === 'OFFICER');
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <section className={cardClass} aria-labelledby="list-title">
        <h2 id="list-title" className="text-lg font-semibold">{t('listTitle')}</h2>
        {institutions.length === 0 ? (
          <p className="mt-1 text-sm text-slate-700">{t('empty')}</p>
        ) : (
          <DataTable testId="institutions" caption={t('listTitle')} columns={[t('kind'), t('code'), t('name'), t('status')]}>
                {institutions.map((i) => (
                  <tr key={i.id} className={rowClass} data-code={Buffer.from(i.code).toString('hex')} data-kind={i.kind}>
                    <td className={tdClass}>{t(`kinds.${i.kind}`)}</td>
                    <td className={`${tdClass} font-mono`}>{Buffer.from(i.code).toString('hex').toUpperCase()}</td>
                    <td className={tdClass}>
                      <Link href={`/institutions/${i.id}`} className="font-medium text-sky-800 underline">{institutionName(i, locale)}</Link>
                    </td>
                    <td className={tdClass}>{t(`statuses.${i.status}`)}{i.pendingWithdrawal ? ` · ${t('withdrawalPending')}` : ''}</td>
                  </tr>
                ))}
          </DataTable>
        )}
      </section>
      {mayChange ? (
        <section className={cardClass} aria-labelledby="register-title">
          <h2 id="register-title" className="text-lg font-semibold">{t('registerTitle')}</h2>
          <AdminActionForm id="register" action={registerInstitution} submit={t('register')} returnTo={HERE} className="mt-3 space-y-4">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <div>
                <label htmlFor="kind" className={labelClass}>{t('kind')}</label>
                <select id="kind" name="kind" className={inputClass} defaultValue="ISSUER">
                  {Object.values(InstitutionKind).map((k) => <option key={k} value={k}>{t(`kinds.${k}`)}</option>)}
                </select>
              </div>
              <div>
                <label htmlFor="code" className={labelClass}>{t('code')}</label>
                <input id="code" name="code" inputMode="text" spellCheck={false} autoComplete="off" aria-describedby="code-hint" className={inputClass} />
                <p id="code-hint" className="mt-1 text-xs text-slate-600">{t('codeHint')}</p>
              </div>
              <div>
                <label htmlFor="nameZh" className={labelClass}>{t('nameZh')}</label>
                <input id="nameZh" name="nameZh" required lang="zh-CN" autoComplete="organization" className={inputClass} />
              </div>
              <div>
                <label htmlFor="nameEn" className={labelClass}>{t('nameEn')}</label>
                <input id="nameEn" name="nameEn" lang="en" autoComplete="off" className={inputClass} />
              </div>
            </div>
            {[0, 1].map((row) => (
              <fieldset key={row} className="rounded-md border border-slate-300 p-3">
                <legend className="px-1 text-sm font-medium">{t('contactLegend', { n: row + 1 })}</legend>
                <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
                  {CONTACT_FIELDS.map((f) => (
                    <div key={f.key}>
                      <label htmlFor={`contact${row}.${f.key}`} className={labelClass}>{t(`contact.${f.key}`)}</label>
                      <input id={`contact${row}.${f.key}`} name={`contact${row}.${f.key}`} type={f.type} autoComplete={f.autoComplete} className={inputClass} />
                    </div>
                  ))}
                </div>
              </fieldset>
            ))}
          </AdminActionForm>
        </section>
      ) : null}
    </div>
  );
}

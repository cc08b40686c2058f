// API tokens of the machine clients: administrators create one for an active institution (its
// secret is shown in the answer, once) and revoke them; auditors read the list.
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { createInstitutionToken, revokeInstitutionToken } from '../../adminActions';
import { AdminActionForm } from '../../../components/AdminActionForm';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { institutionName } from '../../../components/institutionName';
import { DataTable, rowClass } from '../../../components/DataTable';
import { cardClass, inputClass, labelClass, smallButtonClass, smallInputClass, tdClass } from '../../../components/ui';
import { ApiTokenScope, listApiTokens, listInstitutions, type ApiTokenView } from '../../../lib/ca';
import { consoleServices } from '../../../lib/server/ca';
import { pageOperatorFor } from '../../../lib/server/session';

const HERE = '/api-tokens';
const DAY_MS = 86_400_000;

const tokenState = (token: ApiTokenView, now: Date) => (token.revokedAt ? 'revoked' : token.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active');

export default async function ApiTokensPage() {
  const session = await pageOperatorFor(HERE);
  if (!session.ok) return <FormErrorStatic error={session.error} />;
  const isAdmin = session.value.operator.roles.includes('ADMIN');
  const t = await getTranslations('apiTokenAdmin');
  const kinds = await getTranslations('institutionAdmin.kinds');
  const format = await getFormatter();
  const locale = await getLocale();
  const { ca } = await consoleServices();
  const now = ca.now();
  const [tokens, institutions] = await Promise.all([listApiTokens(ca), listInstitutions(ca)]);
  const byId = new Map(institutions.map((i) => [i.id, i]));
  const active = institutions.filter((i) => i.status === 'ACTIVE' && i.kind !== 'PLATFORM');
  const when = (d: Date) => format.dateTime(d, { dateStyle: 'medium', timeStyle: 'short' });
  // The expiry field offers a date in China Standard Time, a year ahead by default.
  const defaultExpiry = new Date(now.getTime() + 365 * DAY_MS + 8 * 3_600_000).toISOString().slice(0, 10);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      {isAdmin ? (
        <section className={cardClass} aria-labelledby="create-title">
          <h2 id="create-title" className="text-lg font-semibold">{t('createTitle')}</h2>
          <p className="mt-1 mb-3 text-sm text-slate-700">{t('createIntro')}</p>
          {active.length === 0 ? (
            <p className="text-sm" data-testid="no-institution">{t('noInstitution')}</p>
          ) : (
            <AdminActionForm id="create-token" action={createInstitutionToken} submit={t('create')} returnTo={HERE} className="grid max-w-2xl grid-cols-1 gap-4 sm:grid-cols-2">
              <div>
                <label htmlFor="institutionId" className={labelClass}>{t('institution')}</label>
                <select id="institutionId" name="institutionId" className={inputClass}>
                  {active.map((i) => (
                    <option key={i.id} value={i.id}>{kinds(i.kind)} {Buffer.from(i.code).toString('hex').toUpperCase()} {institutionName(i, locale)}</option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor="scope" className={labelClass}>{t('scope')}</label>
                <select id="scope" name="scope" className={inputClass} aria-describedby="scope-hint">
                  {Object.values(ApiTokenScope).map((s) => <option key={s} value={s}>{t(`scopes.${s}`)}</option>)}
                </select>
                <p id="scope-hint" className="mt-1 text-xs text-slate-600">{t('scopeHint')}</p>
              </div>
              <div>
                <label htmlFor="label" className={labelClass}>{t('label')}</label>
                <input id="label" name="label" required autoComplete="off" className={inputClass} />
              </div>
              <div>
                <label htmlFor="expiresAt" className={labelClass}>{t('expiresAt')}</label>
                <input id="expiresAt" name="expiresAt" type="date" required defaultValue={defaultExpiry} aria-describedby="expiry-hint" className={inputClass} />
                <p id="expiry-hint" className="mt-1 text-xs text-slate-600">{t('expiryHint')}</p>
              </div>
            </AdminActionForm>
          )}
        </section>
      ) : null}
      <section className={cardClass} aria-labelledby="list-title">
        <h2 id="list-title" className="text-lg font-semibold">{t('listTitle')}</h2>
        {tokens.length === 0 ? (
          <p className="mt-1 text-sm text-slate-700">{t('empty')}</p>
        ) : (
          <DataTable testId="tokens" caption={t('listTitle')} columns={[t('id'), t('institution'), t('scope'), t('label'), t('expiresAt'), t('lastUsed'), t('state'), ...(isAdmin ? [t('revoke')] : [])]}>
                {tokens.map((token) => {
                  const institution = byId.get(token.institutionId);
                  const state = tokenState(token, now);
                  return (
                    <tr key={token.id} className={rowClass} data-token={token.id} data-state={state}>
                      <td className={`${tdClass} font-mono`}>{token.id}</td>
                      <td className={tdClass}>{token.institutionCode.toUpperCase()} {institution ? institutionName(institution, locale) : ''}</td>
                      <td className={tdClass}>{t(`scopes.${token.scope}`)}</td>
                      <td className={tdClass}>{token.label}</td>
                      <td className={tdClass}>{when(token.expiresAt)}</td>
                      <td className={tdClass}>{token.lastUsedAt ? when(token.lastUsedAt) : t('neverUsed')}</td>
                      <td className={tdClass}>{state === 'revoked' ? t('revokedAt', { at: when(token.revokedAt!), reason: token.revokeReason ?? '' }) : t(`states.${state}`)}</td>
                      {isAdmin ? (
                        <td className={tdClass}>
                          {state === 'revoked' ? null : (
                            <AdminActionForm id={`revoke-${token.id}`} action={revokeInstitutionToken} returnTo={HERE} className="flex flex-wrap items-end gap-2">
                              <input type="hidden" name="tokenId" value={token.id} />
                              <label htmlFor={`revoke-reason-${token.id}`} className="sr-only">{t('reasonFor', { id: token.id })}</label>
                              <input id={`revoke-reason-${token.id}`} name="reason" required placeholder={t('reason')} className={smallInputClass} />
                              <button type="submit" className={smallButtonClass}>{t('revoke')}<span className="sr-only"> {token.id}</span></button>
                            </AdminActionForm>
                          )}
                        </td>
                      ) : null}
                    </tr>
                  );
                })}
          </DataTable>
        )}
      </section>
    </div>
  );
}

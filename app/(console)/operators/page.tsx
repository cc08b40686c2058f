import { getFormatter, getTranslations } from 'next-intl/server';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { cardClass } from '../../../components/ui';
import { listOperators } from '../../../lib/ca';
import { consoleServices } from '../../../lib/server/ca';
import { pageSession } from '../../../lib/server/session';

// Operators, for administrators and auditors (the service refuses everyone else: OPERATOR_FORBIDDEN).
export default async function OperatorsPage() {
  const session = await pageSession();
  const t = await getTranslations('operators');
  const roles = await getTranslations('nav.roles');
  const format = await getFormatter();
  const listed = await listOperators((await consoleServices()).ca, session.operator);
  if (!listed.ok) return <FormErrorStatic error={listed.error} />;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <div className={`${cardClass} overflow-x-auto`}>
        <table className="w-full text-left text-sm" data-testid="operators">
          <caption className="sr-only">{t('title')}</caption>
          <thead>
            <tr className="border-b border-slate-300">
              <th scope="col" className="py-2 pr-4">{t('username')}</th>
              <th scope="col" className="py-2 pr-4">{t('displayName')}</th>
              <th scope="col" className="py-2 pr-4">{t('role')}</th>
              <th scope="col" className="py-2 pr-4">{t('status')}</th>
              <th scope="col" className="py-2 pr-4">{t('secondFactor')}</th>
              <th scope="col" className="py-2 pr-4">{t('created')}</th>
            </tr>
          </thead>
          <tbody>
            {listed.value.map((o) => (
              <tr key={o.id} className="border-b border-slate-200" data-username={o.username}>
                <td className="py-2 pr-4 font-mono">{o.username}</td>
                <td className="py-2 pr-4">{o.displayName}</td>
                <td className="py-2 pr-4">{o.roles.map((r) => roles(r)).join(', ')}</td>
                <td className="py-2 pr-4">{t(o.status === 'ACTIVE' ? 'active' : 'disabled')}{o.mustChangePassword ? ` · ${t('oneTimePassword')}` : ''}</td>
                <td className="py-2 pr-4">{t(o.secondFactorEnrolled ? 'enrolled' : 'notEnrolled')}</td>
                <td className="py-2 pr-4">{format.dateTime(o.createdAt, { dateStyle: 'medium' })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

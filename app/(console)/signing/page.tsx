// Whether this CA can sign now, for everyone; under the quorum profile (TQCA_HSM_QUORUM) officers
// enter their shares here, one each, signed in as themselves, until K have (lib/ca/activation.ts).
import { getLocale, getTranslations } from 'next-intl/server';
import { ActionForm } from '../../../components/ActionForm';
import { cardClass } from '../../../components/ui';
import { factListClass } from '../../../components/FactList';
import { errorText } from '../../../i18n/errorText';
import type { Locale } from '../../../i18n/locales';
import { checkRole } from '../../../lib/ca';
import { serverCa } from '../../../lib/server/ca';
import { pageSession } from '../../../lib/server/session';
import { enterShareAction, lockSigningAction } from '../../officerActions';

const PATH = '/signing';

export default async function SigningPage() {
  const session = await pageSession();
  const t = await getTranslations('caSigning');
  const locale = (await getLocale()) as Locale;
  const { ca, activation, signing } = await serverCa();
  const health = await ca.keys.health();
  const status = activation?.status();
  const officer = checkRole(session.operator, ['OFFICER'], 'act').ok;
  const mayLock = officer || checkRole(session.operator, ['ADMIN'], 'act').ok;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <section className={cardClass} aria-labelledby="can-sign-title">
        <h2 id="can-sign-title" className="text-lg font-semibold">{t('canSignTitle')}</h2>
        <p className={`mt-1 font-medium ${health.ok ? 'text-emerald-800' : 'text-red-800'}`} data-testid="can-sign" data-can-sign={health.ok}>
          {health.ok ? t('canSign') : t('cannotSign', { code: health.error.code, reason: errorText(health.error, locale) })}
        </p>
        {signing.evaluationOnly ? <p className="mt-2 text-sm text-amber-900">{t('evaluation')}</p> : null}
        {!status ? <p className="mt-2 text-sm text-slate-700" data-testid="no-quorum">{t('noQuorum')}</p> : null}
      </section>
      {status ? (
        <section className={cardClass} aria-labelledby="quorum-title">
          <h2 id="quorum-title" className="text-lg font-semibold">{t('quorumTitle', { label: status.tokenLabel })}</h2>
          <dl className={factListClass} data-testid="quorum">
            <dt className="font-medium">{t('state')}</dt>
            <dd data-state={status.state}>{t(status.state === 'active' ? 'active' : 'locked')}</dd>
            <dt className="font-medium">{t('threshold')}</dt>
            <dd>{t('thresholdValue', { threshold: status.threshold, entered: status.entered.length })}</dd>
            <dt className="font-medium">{t('entered')}</dt>
            <dd>{status.entered.join(', ') || '—'}</dd>
            <dt className="font-medium">{t('activatedBy')}</dt>
            <dd>{status.activatedBy.join(', ') || '—'}</dd>
          </dl>
          {officer && status.state === 'locked' && !status.entered.includes(session.operator.username) ? (
            <div className="mt-4 max-w-md">
              <ActionForm
                action={enterShareAction}
                id="share"
                fields={[{ name: 'share', label: t('share'), hint: t('shareHint'), mono: true }]}
                submitLabel={t('enter')}
                doneLabel={t('shareAccepted')}
                returnPath={PATH}
              />
            </div>
          ) : null}
          {mayLock ? (
            <div className="mt-4">
              <ActionForm action={lockSigningAction} id="lock" submitLabel={t('lock')} doneLabel={t('lockedDone')} returnPath={PATH} danger />
            </div>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}

// The live log check's last result (LogWatch, on start-up and on a timer): never re-run for a page view.
import { getFormatter, getTranslations } from 'next-intl/server';
import type { LiveLogCheck } from '../lib/ca';
import { cstTime } from './caText';

export async function LogVerification({ check }: { check: LiveLogCheck | null }) {
  const t = await getTranslations('auditLog.verification');
  const format = await getFormatter();
  const state = check === null ? 'unknown' : check.result.ok ? 'verified' : 'failed';
  const tone = { verified: 'border-emerald-300 bg-emerald-50 text-emerald-900', failed: 'border-red-300 bg-red-50 text-red-900', unknown: 'border-slate-300 bg-slate-50 text-slate-900' }[state];
  return (
    <section aria-labelledby="log-verification-title" data-testid="log-verification" data-state={state} data-size={check?.result.ok ? String(check.result.value.events) : ''} className={`rounded-md border px-4 py-3 text-sm ${tone}`}>
      <h2 id="log-verification-title" className="font-semibold">{t(`state.${state}`)}</h2>
      {check === null ? (
        <p className="mt-1">{t('notYet')}</p>
      ) : check.result.ok ? (
        <p className="mt-1">{t('verified', { events: check.result.value.events, checkpoint: check.result.value.checkpointSize, at: cstTime(format, check.at) })}</p>
      ) : (
        <p className="mt-1">
          {t('failed', { at: cstTime(format, check.at) })} <code className="font-mono text-xs">{check.result.error.code}</code>: {check.result.error.message}
        </p>
      )}
    </section>
  );
}

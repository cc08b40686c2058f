// Step-up: re-prove the second factor; actions that need it answer STEP_UP_REQUIRED and link here.
import { getTranslations } from 'next-intl/server';
import { StepUpForm } from '../../../components/StepUpForm';
import { stepUpLimitText } from '../../../components/stepUpLimit';
import { cardClass } from '../../../components/ui';
import { safeReturnPath } from '../../../lib/server/returnPath';
import { pageSession } from '../../../lib/server/session';

export default async function StepUpPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  await pageSession();
  const t = await getTranslations('stepUp');
  const { next } = await searchParams;
  return (
    <section className={cardClass} aria-labelledby="step-up-title">
      <h1 id="step-up-title" className="text-xl font-semibold">{t('title')}</h1>
      <p className="mt-1 mb-4 text-sm text-slate-700">{t('intro', { limit: await stepUpLimitText() })}</p>
      <StepUpForm next={safeReturnPath(next)} />
    </section>
  );
}

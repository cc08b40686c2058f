// How fresh a second factor step-up actions need, in the operator's words (TQCA_STEP_UP_MAX_AGE_SECONDS may make it less than 5 minutes).
import { getTranslations } from 'next-intl/server';
import { sessionPolicyFrom } from '../lib/server/config';

export async function stepUpLimitText(): Promise<string> {
  const t = await getTranslations('stepUp');
  const seconds = Math.round(sessionPolicyFrom().stepUpMaxAgeMs / 1000);
  return seconds % 60 === 0 ? t('minutes', { n: seconds / 60 }) : t('seconds', { n: seconds });
}

// What a version changed, counted by kind, for the versions table and the detail's heading.
import type { getTranslations } from 'next-intl/server';
import { BUNDLE_CHANGE_KINDS, countChanges, type BundleChange } from '../../../lib/publication';

type Translate = Awaited<ReturnType<typeof getTranslations<'bundles'>>>;

export function ChangeSummary({ changes, t }: { changes: readonly BundleChange[]; t: Translate }) {
  const counts = countChanges(changes);
  const present = BUNDLE_CHANGE_KINDS.filter((k) => counts[k] > 0);
  if (present.length === 0) return <span className="text-slate-700">{t('noChanges')}</span>;
  return (
    <ul className="space-y-0.5">
      {present.map((k) => (
        <li key={k} data-kind={k} data-count={counts[k]}>{t(`kindCount.${k}`, { count: counts[k] })}</li>
      ))}
    </ul>
  );
}

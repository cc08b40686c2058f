// One published version: its manifest facts, the download, and each change against its
// predecessor (the list paged here: a first version lists every certificate it adds).
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, hexClass } from '../../../../components/caText';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { Pagination } from '../../../../components/Pagination';
import { buttonClass, cardClass } from '../../../../components/ui';
import { FactList, type Fact } from '../../../../components/FactList';
import { parseVersion } from '../../../../lib/api/bundles';
import { toHex } from '../../../../lib/bytes';
import { formatIndex } from '../../../../lib/ca';
import { Code, err } from '../../../../lib/errors';
import { bundleDetail, type BundleChange } from '../../../../lib/publication';
import { PAGE_ROLES } from '../../../../lib/server/access';
import { consoleServices } from '../../../../lib/server/ca';
import { pageOperator } from '../../../../lib/server/session';
import { ChangeSummary } from '../changeSummary';

const CHANGES_PER_PAGE = 200;

export default async function BundlePage({ params, searchParams }: { params: Promise<{ version: string }>; searchParams: Promise<{ page?: string }> }) {
  const allowed = await pageOperator(PAGE_ROLES['/bundles/[version]']!, 'see bundles');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('bundles');
  const format = await getFormatter();
  const version = parseVersion((await params).version, 'version');
  if (!version.ok) return <FormErrorStatic error={version.error} />;
  const { page } = await searchParams;
  if (page !== undefined && !/^[1-9]\d{0,6}$/.test(page)) return <FormErrorStatic error={err(Code.FORM_INVALID, 'page must be a whole number from 1', { field: 'page' }).error} />;
  const found = await bundleDetail((await consoleServices()).ca, version.value);
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const b = found.value;
  const pages = Math.max(1, Math.ceil(b.changes.length / CHANGES_PER_PAGE));
  const at = Math.min(page ? Number(page) : 1, pages);
  const shown = b.changes.slice((at - 1) * CHANGES_PER_PAGE, at * CHANGES_PER_PAGE);
  const facts: Fact[] = [
    [t('publishedAt'), cstTime(format, b.publishedAt)],
    [t('expiresAt'), cstTime(format, b.expiresAt)],
    [t('reasonLabel'), t(`reason.${b.reason}` as 'reason.operator')],
    [t('signer'), formatIndex(b.signingRootIndex)],
    [t('counts'), t('countsValue', { a2: b.a2Count, a3: b.a3Count, a4: b.a4Count })],
    [t('a4Sequence'), String(b.a4Sequence)],
    [t('size'), t('bytes', { size: b.size })],
  ];
  return (
    <div className="space-y-6">
      <p><Link href="/bundles" className="text-sm text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{t('versionTitle', { version: b.version })}</h1>
      <section className={cardClass} aria-labelledby="facts-title">
        <h2 id="facts-title" className="text-lg font-semibold">{t('factsTitle')}</h2>
        <FactList facts={facts}>
          <dt className="font-medium">{t('bodySm3')}</dt>
          <dd className={hexClass} data-testid="bundle-body-sm3">{toHex(b.bodySm3)}</dd>
        </FactList>
        <p className="mt-4">
          <a href={`/bundles/${b.version}/download`} download className={buttonClass} data-testid="bundle-download">{t('download', { version: b.version })}</a>
        </p>
        <nav aria-label={t('neighbours')} className="mt-3 flex gap-4 text-sm">
          {b.version > 1 ? <Link href={`/bundles/${b.version - 1}`} className="text-sky-800 underline" rel="prev">{t('previousVersion', { version: b.version - 1 })}</Link> : null}
        </nav>
      </section>
      <section className={cardClass} aria-labelledby="changes-title">
        <h2 id="changes-title" className="text-lg font-semibold">{b.version > 1 ? t('changesAgainst', { version: b.version - 1 }) : t('changesFirst')}</h2>
        <div className="mt-2 text-sm"><ChangeSummary changes={b.changes} t={t} /></div>
        {shown.length > 0 ? (
          <ul className="mt-3 divide-y divide-slate-200 text-sm" data-testid="bundle-changes">
            {shown.map((c) => (
              <li key={`${c.kind}-${c.subject}`} className="py-1.5" data-testid="bundle-change" data-kind={c.kind} data-subject={c.subject}>
                <ChangeText c={c} t={t} />
              </li>
            ))}
          </ul>
        ) : null}
        {pages > 1 ? (
          <Pagination path={`/bundles/${b.version}`} query={{}} page={at} pages={pages} labels={{ nav: t('pages'), previous: t('previous'), next: t('next'), page: t('pageOf', { page: at, pages }) }} />
        ) : null}
      </section>
    </div>
  );
}

type Translate = Awaited<ReturnType<typeof getTranslations<'bundles'>>>;

function ChangeText({ c, t }: { c: BundleChange; t: Translate }) {
  const what = [c.record ? t('recordChanged') : null, c.role ? t('roleChanged', { from: t(`role.${c.role.from}`), to: t(`role.${c.role.to}`) }) : null].filter((x) => x !== null);
  return (
    <>
      <span className="font-medium">{t(`kind.${c.kind}`)}</span> <span className="font-mono">{c.subject}</span>
      {what.length > 0 ? <span className="text-slate-700"> — {what.join('; ')}</span> : null}
    </>
  );
}

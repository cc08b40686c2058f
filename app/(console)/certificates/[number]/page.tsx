// One certificate: the stored facts, its 106 bytes decoded field by field (lib/codec), downloads
// (binary and hex, through the route handler beside this page) and revocation, confirmed by typing its number.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { ActionForm } from '../../../../components/ActionForm';
import { cstTime, hexClass } from '../../../../components/caText';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { cardClass } from '../../../../components/ui';
import { FactList, factListClass, type Fact } from '../../../../components/FactList';
import { toHex } from '../../../../lib/bytes';
import { issuerCertificate, REVOCATION_REASONS } from '../../../../lib/codec';
import { checkRole, showCertificate } from '../../../../lib/ca';
import { Code } from '../../../../lib/errors';
import { consoleServices } from '../../../../lib/server/ca';
import { PAGE_ROLES } from '../../../../lib/server/access';
import { pageOperator } from '../../../../lib/server/session';
import { revokeCertificateAction } from '../../../officerActions';

export default async function CertificatePage({ params }: { params: Promise<{ number: string }> }) {
  const allowed = await pageOperator(PAGE_ROLES['/certificates/[number]']!, 'see certificates');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const officer = checkRole(allowed.value, ['OFFICER'], 'act').ok;
  const t = await getTranslations('caCertificates');
  const format = await getFormatter();
  const { number: text } = await params;
  if (!/^[0-9A-Fa-f]{1,8}$/.test(text)) return <FormErrorStatic error={{ code: Code.CERTIFICATE_UNKNOWN, message: `no certificate ${text}`, field: 'number' }} />;
  const found = await showCertificate((await consoleServices()).ca, Number.parseInt(text, 16));
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const c = found.value;
  const decoded = issuerCertificate.decode(Buffer.from(c.certificate, 'hex'));
  const path = `/certificates/${c.number}`;
  const facts: Fact[] = [
    [t('number'), c.number, 'font-mono'],
    [t('issuer'), c.issuerId, 'font-mono'],
    [t('serial'), String(c.serial)],
    [t('expiry'), `${c.expiry} · ${t('validThrough', { at: cstTime(format, new Date(new Date(c.expiresAt).getTime() - 1000)) })}`],
    [t('statusLabel'), t(`status.${c.status}`), undefined, c.status],
    [t('rootKey'), c.rootKeyIndex, 'font-mono'],
    [t('request'), String(c.requestId)],
    [t('issued'), cstTime(format, c.issuedAt)],
    ...(c.revokedAt ? ([[t('revoked'), `${cstTime(format, c.revokedAt)} · ${t(`reason.${c.revocationReason!}`)}`]] as Fact[]) : []),
  ];
  return (
    <div className="space-y-6">
      <p><Link href="/certificates" className="text-sm text-sky-800 underline">{t('back')}</Link></p>
      <h1 className="text-2xl font-semibold">{t('detailTitle', { number: c.number })}</h1>
      <section className={cardClass} aria-labelledby="facts-title">
        <h2 id="facts-title" className="text-lg font-semibold">{t('factsTitle')}</h2>
        <FactList facts={facts} testId="certificate-facts" />
        <p className="mt-3 flex flex-wrap gap-3 text-sm">
          <a href={`${path}/download?format=binary`} download className="font-medium text-sky-800 underline" data-testid="download-binary">{t('downloadBinary')}</a>
          <a href={`${path}/download?format=hex`} download className="font-medium text-sky-800 underline" data-testid="download-hex">{t('downloadHex')}</a>
        </p>
      </section>
      <section className={cardClass} aria-labelledby="decoded-title">
        <h2 id="decoded-title" className="text-lg font-semibold">{t('decodedTitle')}</h2>
        {decoded.ok ? (
          <dl className={factListClass} data-testid="decoded">
            <dt className="font-medium">{t('expiry')}</dt>
            <dd className="font-mono">{String(decoded.value.expiry.month).padStart(2, '0')}/{decoded.value.expiry.year}</dd>
            <dt className="font-medium">{t('serial')}</dt>
            <dd className="font-mono">{decoded.value.serial}</dd>
            <dt className="font-medium">{t('publicKeyX')}</dt>
            <dd className={hexClass}>{toHex(decoded.value.publicKey.bytes.subarray(0, 32))}</dd>
            <dt className="font-medium">{t('publicKeyY')}</dt>
            <dd className={hexClass}>{toHex(decoded.value.publicKey.bytes.subarray(32))}</dd>
            <dt className="font-medium">{t('rootSignature')}</dt>
            <dd className={hexClass}>{toHex(decoded.value.rootSignature)}</dd>
            <dt className="font-medium">{t('bytes')}</dt>
            <dd className={hexClass} data-testid="certificate-hex">{c.certificate}</dd>
          </dl>
        ) : (
          <FormErrorStatic error={decoded.error} />
        )}
      </section>
      {officer && c.status !== 'REVOKED' ? (
        <section className={cardClass} aria-labelledby="revoke-title">
          <h2 id="revoke-title" className="text-lg font-semibold">{t('revokeTitle')}</h2>
          <p className="mt-1 text-sm text-slate-700">{t('revokeIntro')}</p>
          <div className="mt-2 max-w-md">
            <ActionForm
              action={revokeCertificateAction}
              id="revoke"
              hidden={{ number: c.number }}
              fields={[
                { name: 'reason', label: t('reasonLabel'), kind: 'select', options: REVOCATION_REASONS.map((r, i) => ({ value: r, label: `0${i + 1} · ${t(`reason.${r}`)}` })) },
                { name: 'confirmation', label: t('confirmLabel', { number: c.number }), hint: t('confirmHint'), mono: true },
              ]}
              submitLabel={t('revoke')}
              doneLabel={t('revokedDone')}
              returnPath={path}
              danger
            />
          </div>
        </section>
      ) : null}
    </div>
  );
}

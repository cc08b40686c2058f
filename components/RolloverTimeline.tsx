// The root keys' rollover timeline: each key's phases on one time axis, its first distribution
// and the announcement lead the profile requires before use, and the planned activation (red when
// it comes too soon). Server-rendered SVG as ExpiryTimeline draws, with a table of the same dates.
import { getFormatter, getTranslations } from 'next-intl/server';
import type { RolloverKey, RolloverPhase } from '../lib/publication';
import { tableClass, tdClass, thClass } from './caText';

const W = 720;
const ROW = 30;
const PAD = { left: 44, right: 12, top: 18, bottom: 24 };
const DAY = 86_400_000;
const CST = 8 * 3_600_000;

const PHASE_CLASS: Readonly<Record<RolloverPhase, string>> = {
  announced: 'fill-amber-400',
  active: 'fill-sky-700',
  retiring: 'fill-slate-400',
  retired: 'fill-slate-300',
};

/** 1 January (CST) of each year the axis spans. */
function yearStarts(from: number, to: number): Date[] {
  const years: Date[] = [];
  for (let y = new Date(from + CST).getUTCFullYear() + 1; ; y++) {
    const start = Date.UTC(y, 0, 1) - CST;
    if (start > to) return years;
    years.push(new Date(start));
  }
}

export async function RolloverTimeline({ keys, leadDays, now }: { keys: readonly RolloverKey[]; leadDays: number; now: Date }) {
  const t = await getTranslations('rolloverTimeline');
  const format = await getFormatter();
  const day = (d: Date | null) => (d ? `${format.dateTime(d, { dateStyle: 'medium' })} CST` : '—');
  const instants = keys.flatMap((k) => [...k.spans.flatMap((s) => [s.from.getTime(), s.to.getTime()]), k.expiresAt.getTime(), ...(k.distributed ? [k.distributed.publishedAt.getTime()] : [])]);
  const start = Math.min(now.getTime() - 30 * DAY, ...instants);
  const end = Math.max(now.getTime() + leadDays * DAY, ...instants);
  const H = PAD.top + PAD.bottom + ROW * Math.max(1, keys.length);
  const x = (d: Date) => PAD.left + ((d.getTime() - start) / (end - start)) * (W - PAD.left - PAD.right);
  const rowY = (i: number) => PAD.top + i * ROW;
  return (
    <figure aria-labelledby="rollover-title" aria-describedby="rollover-desc" data-testid="rollover-timeline">
      <figcaption>
        <h2 id="rollover-title" className="text-lg font-semibold">{t('title')}</h2>
        <p id="rollover-desc" className="text-sm text-slate-600">{t('desc', { days: leadDays })}</p>
      </figcaption>
      {keys.length === 0 ? <p className="mt-2 text-sm text-slate-700">{t('empty')}</p> : null}
      <svg viewBox={`0 0 ${W} ${H}`} className="mt-3 h-auto w-full" aria-hidden="true" focusable="false">
        {yearStarts(start, end).map((y) => (
          <g key={y.getTime()}>
            <line x1={x(y)} x2={x(y)} y1={PAD.top - 4} y2={H - PAD.bottom} className="stroke-slate-200" />
            <text x={x(y)} y={H - 8} textAnchor="middle" className="fill-slate-600 text-[10px]">{format.dateTime(y, { year: 'numeric' })}</text>
          </g>
        ))}
        {keys.map((k, i) => (
          <g key={k.index}>
            <text x={PAD.left - 8} y={rowY(i) + ROW / 2 + 3} textAnchor="end" className="fill-slate-800 font-mono text-[11px]">{k.index}</text>
            {k.spans.map((s) => (
              <rect key={s.phase} x={x(s.from)} width={Math.max(1, x(s.to) - x(s.from))} y={rowY(i) + 8} height={ROW - 16} className={PHASE_CLASS[s.phase]} />
            ))}
            {/* The lead applies to a key announced while another signs; the first key travels out of band. */}
            {k.distributed && k.usableFrom && k.spans.some((s) => s.phase === 'announced') ? (
              <rect x={x(k.distributed.publishedAt)} width={Math.max(1, x(k.usableFrom) - x(k.distributed.publishedAt))} y={rowY(i) + 4} height={ROW - 8} className="fill-none stroke-emerald-700" strokeDasharray="3 2" />
            ) : null}
            {k.plannedActivation ? (
              <line x1={x(k.plannedActivation)} x2={x(k.plannedActivation)} y1={rowY(i) + 2} y2={rowY(i) + ROW - 2} className={k.leadShort ? 'stroke-red-600' : 'stroke-emerald-700'} strokeWidth={3} />
            ) : null}
          </g>
        ))}
        <line x1={x(now)} x2={x(now)} y1={PAD.top - 8} y2={H - PAD.bottom} className="stroke-red-600" strokeDasharray="4 3" />
        <text x={x(now) + 3} y={PAD.top - 8} className="fill-red-700 text-[10px]">{t('now')}</text>
      </svg>
      <div className="mt-2 flex flex-wrap gap-4 text-sm text-slate-700" aria-hidden="true">
        {(Object.keys(PHASE_CLASS) as RolloverPhase[]).map((p) => (
          <span key={p}><svg viewBox="0 0 12 12" className="mr-1 inline-block h-3 w-3 align-middle"><rect width="12" height="12" className={PHASE_CLASS[p]} /></svg>{t(`phase.${p}`)}</span>
        ))}
        <span><span className="mr-1 inline-block h-3 w-4 border border-dashed border-emerald-700 align-middle" />{t('lead', { days: leadDays })}</span>
        <span><span className="mr-1 inline-block h-3 w-1 bg-red-600 align-middle" />{t('planned')}</span>
      </div>
      <div className="mt-3 overflow-x-auto">
        <table className={tableClass}>
          <caption className="sr-only">{t('title')}</caption>
          <thead>
            <tr className="border-b border-slate-300">
              {[t('key'), t('state'), t('announced'), t('distributed'), t('usableFrom', { days: leadDays }), t('plannedActivation'), t('activated'), t('retired'), t('expires')].map((h) => (
                <th key={h} scope="col" className={thClass}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const phase = (p: RolloverPhase) => k.spans.find((s) => s.phase === p)?.from ?? null;
              return (
                <tr key={k.index} className="border-b border-slate-200" data-testid="rollover-key" data-index={k.index} data-state={k.state} data-lead-short={k.leadShort}>
                  <th scope="row" className={`${tdClass} font-mono`}>{k.index}</th>
                  <td className={tdClass}>{t(`states.${k.state}`)}</td>
                  <td className={tdClass}>{day(phase('announced'))}</td>
                  <td className={tdClass}>{k.distributed ? t('inVersion', { when: day(k.distributed.publishedAt), version: k.distributed.version }) : t('notDistributed')}</td>
                  <td className={tdClass}>{day(k.usableFrom)}</td>
                  <td className={tdClass}>
                    {day(k.plannedActivation)}
                    {k.plannedActivation ? (
                      <span className={`block ${k.leadShort ? 'font-semibold text-red-800' : 'text-emerald-800'}`} data-testid={k.leadShort ? 'lead-short' : undefined}>
                        {k.leadShort ? t('leadShort', { days: leadDays }) : t('leadOk')}
                      </span>
                    ) : null}
                  </td>
                  <td className={tdClass}>{day(phase('active'))}</td>
                  <td className={tdClass}>{day(phase('retired'))}</td>
                  <td className={tdClass}>{day(k.expiresAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

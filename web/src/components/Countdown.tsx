import { useEffect, useState } from 'react';
import { useI18n } from '../lib/i18n';

function span(ms: number, lang: string): string {
  const m = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  const s = Math.floor((Math.abs(ms) % 60_000) / 1000);
  if (lang === 'en') return d ? `${d}d ${h}h ${min}m` : h ? `${h}h ${min}m` : `${min}m ${s}s`;
  return d ? `${d}天${h}小时${min}分` : h ? `${h}小时${min}分` : `${min}分${s}秒`;
}

/** Time left to an SLA deadline, ticking each second; past it, how long overdue. */
export function Countdown({ dueAt }: { dueAt: string | null | undefined }) {
  const { t, lang, time } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  if (!dueAt) return <span className="muted">—</span>;
  const left = new Date(dueAt).getTime() - now;
  return (
    <span className={left < 0 ? 'countdown overdue' : 'countdown'} title={time(dueAt)} data-testid="countdown">
      {left < 0 ? t('overdueBy') : t('dueIn')} {span(left, lang)}
    </span>
  );
}

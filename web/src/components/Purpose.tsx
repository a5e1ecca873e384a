/**
 * Purpose before personal data: a page that shows people renders inside <NeedsPurpose>, which
 * asks why first. The answer goes with every request as x-purpose (lib/client.ts), so it is
 * what the audit trail records, and it stays for the task at hand until changed.
 */
import { useState, type ReactNode } from 'react';
import { useI18n } from '../lib/i18n';
import { useSession } from '../lib/session';

export function PurposePrompt({ onDone }: { onDone?: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const [text, setText] = useState(session.purpose ?? '');
  const presets = [t('purposeVisit'), t('purposeCase'), t('purposeCare'), t('purposeMediation')];
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="purpose-title">
      <form
        className="card stack"
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!text.trim()) return;
          session.setPurpose(text.trim());
          onDone?.();
        }}
      >
        <h2 id="purpose-title">{t('purposeTitle')}</h2>
        <p className="muted">{t('purposeHint')}</p>
        <div className="chips">
          {presets.map((p) => (
            <button key={p} type="button" className="chip" onClick={() => setText(p)}>{p}</button>
          ))}
        </div>
        <label>{t('purposeLabel')}
          <input name="purpose" autoFocus value={text} maxLength={200} onChange={(ev) => setText(ev.target.value)} />
        </label>
        <button type="submit" disabled={!text.trim()}>{t('purposeConfirm')}</button>
      </form>
    </div>
  );
}

export function NeedsPurpose({ children }: { children: ReactNode }) {
  const session = useSession();
  if (!session.purpose) return <PurposePrompt />;
  return <>{children}</>;
}

export function PurposeChip() {
  const { t } = useI18n();
  const session = useSession();
  const [editing, setEditing] = useState(false);
  return (
    <>
      <button type="button" className="purpose" title={t('purposeChange')} onClick={() => setEditing(true)} data-testid="purpose-chip">
        {t('purposeCurrent')}：{session.purpose ?? t('purposeNone')}
      </button>
      {editing && <PurposePrompt onDone={() => setEditing(false)} />}
    </>
  );
}

import type { CombinedError } from 'urql';
import { useI18n, type MessageKey } from './i18n';

const BY_CODE: Record<string, MessageKey> = {
  FORBIDDEN: 'errForbidden',
  UNAUTHENTICATED: 'errAuth',
  PURPOSE_REQUIRED: 'errPurpose',
  RATE_LIMITED: 'errLimit',
  SERVICE_UNAVAILABLE: 'errUnavailable',
  TIME_LIMIT_EXCEEDED: 'errUnavailable',
  INVALID_TRANSITION: 'errInvalid',
};

export function errorCodes(error: CombinedError | undefined): string[] {
  return (error?.graphQLErrors ?? []).map((e) => String(e.extensions?.code ?? ''));
}

/**
 * A refusal as a sentence the user can act on: our heading for the error code, then the hub's
 * own message, which says why (it is written for clients and safe to show).
 */
export function ErrorNote({ error }: { error: CombinedError | undefined | null }) {
  const { t } = useI18n();
  if (!error) return null;
  const first = error.graphQLErrors[0];
  const code = String(first?.extensions?.code ?? '');
  const heading = t(BY_CODE[code] ?? 'errGeneric');
  const detail = first?.message ?? error.networkError?.message ?? error.message;
  return (
    <div className="error" role="alert" data-code={code || 'NETWORK'}>
      <strong>{heading}</strong>
      {detail && <span>：{detail}</span>}
    </div>
  );
}

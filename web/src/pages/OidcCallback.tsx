import { useEffect, useState } from 'react';
import { useLocation } from 'wouter';
import { useI18n } from '../lib/i18n';
import { useSession } from '../lib/session';
import { finishSignIn } from '../lib/oidc';

export default function OidcCallback() {
  const { t } = useI18n();
  const session = useSession();
  const [, navigate] = useLocation();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    finishSignIn().then(({ token, returnTo }) => {
      session.signIn(token);
      navigate(returnTo, { replace: true });
    }, (err: Error) => setError(err.message));
    // Once: the code in the URL is good for one exchange only.
  }, []);
  return (
    <div className="signin">
      <div className="card">
        {error ? <div className="error" role="alert"><strong>{t('signInFailed')}</strong>：{error}</div> : <p>{t('signingIn')}</p>}
        {error && <a href="/">{t('signIn')}</a>}
      </div>
    </div>
  );
}

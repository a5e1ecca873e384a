/**
 * Production sign-in: OIDC authorization code with PKCE at the identity provider whose JWKS the
 * hub trusts, through oauth4webapi. The console is a public client (no secret); the access
 * token it gets back is the Bearer token the hub verifies. Loaded only when used.
 */
import * as oauth from 'oauth4webapi';

const PENDING_KEY = 'liandong.oidc';

interface Pending {
  issuer: string;
  clientId: string;
  verifier: string;
  state: string;
  returnTo: string;
}

const redirectUri = () => `${location.origin}/auth/callback`;

/** oauth4webapi speaks HTTPS only; plain HTTP is let through for a provider on this machine (development, tests). */
function insecureAllowed(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, { algorithm: 'oidc', [oauth.allowInsecureRequests]: insecureAllowed(issuer) }));
}

export async function startSignIn(config: { issuer: string; clientId: string; scope: string }): Promise<void> {
  const as = await discover(config.issuer);
  if (!as.authorization_endpoint) throw new Error('the identity provider publishes no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: Pending = { issuer: config.issuer, clientId: config.clientId, verifier, state, returnTo: location.pathname };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  location.assign(url.toString());
}

/** On /auth/callback: trades the code for tokens; returns the access token and where to go back to. */
export async function finishSignIn(): Promise<{ token: string; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  if (!raw) throw new Error('no sign-in was started from this tab');
  sessionStorage.removeItem(PENDING_KEY);
  const pending = JSON.parse(raw) as Pending;
  const as = await discover(pending.issuer);
  const client: oauth.Client = { client_id: pending.clientId };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, { [oauth.allowInsecureRequests]: insecureAllowed(pending.issuer) });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  return { token: result.access_token, returnTo: pending.returnTo || '/' };
}

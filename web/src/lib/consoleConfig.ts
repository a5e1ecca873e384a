/** What the hub's /console/ endpoints answer (src/server/console.ts). */
export interface ConsoleConfig {
  devSignIn: boolean;
  oidc: { issuer: string; clientId: string; scope: string } | null;
  tileUrl: string | null;
}

export interface SignInChoices {
  grids: Array<{ id: string; code: string; name: string; street: string }>;
  streets: Array<{ id: string; code: string; name: string }>;
  departments: Array<{ name: string; displayName: string }>;
}

let config: Promise<ConsoleConfig> | null = null;

export function consoleConfig(): Promise<ConsoleConfig> {
  config ??= fetch('/console/config.json').then((r) => {
    if (!r.ok) throw new Error(`/console/config.json: HTTP ${r.status}`);
    return r.json() as Promise<ConsoleConfig>;
  });
  return config;
}

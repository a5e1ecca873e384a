/**
 * Connector configs as an operator writes them (issue 13): a police config without its webhook
 * secret is refused at start instead of falling back to a secret anyone can read, and
 * `intervalSeconds` in CONNECTORS_FILE reaches the scheduler for every built-in connector.
 */
import { CONNECTORS } from '../../src/connectors/registry.js';
import { configuredConnectors, scheduleOf } from '../../src/sync/index.js';

const BASE = 'http://127.0.0.1:9/';
/** The smallest valid config of each built-in connector. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  housing: { folder: '/tmp/liandong-none' },
  population: { baseUrl: BASE },
  enterprise: { baseUrl: BASE },
  police: { baseUrl: BASE, webhookSecret: 'a-secret-of-sixteen+' },
  social: { baseUrl: BASE, clientId: 'hub', clientSecret: 'secret' },
  court: { databaseUrl: 'postgres://court@127.0.0.1:9/court' },
  fire: { baseUrl: BASE },
};

describe('connector configs (issue 13)', () => {
  test('police without webhookSecret is refused, naming the key; a short one too', () => {
    expect(() => configuredConnectors({ police: { baseUrl: BASE } })).toThrow(/connector police: invalid config: webhookSecret: webhookSecret is required/);
    expect(() => configuredConnectors({ police: { baseUrl: BASE, webhookSecret: 'short' } })).toThrow(/webhookSecret must be at least 16 characters/);
    expect(configuredConnectors({ police: MINIMAL.police })[0]!.config).toMatchObject({ webhookSecret: 'a-secret-of-sixteen+' });
  });

  test('intervalSeconds is kept for each of the seven built-in connectors, and checked', () => {
    expect(CONNECTORS.map((c) => c.spec.name).sort()).toEqual(Object.keys(MINIMAL).sort());
    for (const [name, config] of Object.entries(MINIMAL)) {
      let configured;
      try {
        configured = configuredConnectors({ [name]: { ...config, intervalSeconds: 45 } });
      } catch (error) {
        throw new Error(`${name}: ${(error as Error).message}`);
      }
      expect({ name, seconds: scheduleOf(configured[0]!) }).toEqual({ name, seconds: 45 });
      const [without] = configuredConnectors({ [name]: config });
      expect({ name, seconds: scheduleOf(without!) }).toEqual({ name, seconds: without!.connector.spec.intervalSeconds });
    }
    expect(() => configuredConnectors({ population: { baseUrl: BASE, intervalSeconds: 2 } })).toThrow(/intervalSeconds: intervalSeconds must be at least 10/);
    expect(() => configuredConnectors({ population: { baseUrl: BASE, intervalSeconds: '60' } })).toThrow(/intervalSeconds must be a number/);
  });
});

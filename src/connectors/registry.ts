/**
 * Every department connector the hub knows, one line each. The order is the sync order:
 * registers of record first (housing's buildings before the people living in them), so that
 * records referring to an entity find it on their first sync. Later references still link
 * through the runner's relink step whatever the order.
 */
import type { Connector } from './sdk/index.js';
import housing from './housing/index.js';
import population from './population/index.js';
import enterprise from './enterprise/index.js';
import police from './police/index.js';
import social from './social/index.js';
import court from './court/index.js';
import fire from './fire/index.js';

/**
 * A connector with its config type forgotten. Safe because the runner only ever hands a
 * connector a config its own schema (spec.config) produced.
 */
export function anyConnector<C>(connector: Connector<C>): Connector<unknown> {
  return connector;
}

export const CONNECTORS: ReadonlyArray<Connector<unknown>> = [
  anyConnector(housing),
  anyConnector(population),
  anyConnector(enterprise),
  anyConnector(police),
  anyConnector(social),
  anyConnector(court),
  anyConnector(fire),
];

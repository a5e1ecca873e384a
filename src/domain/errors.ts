/**
 * The one configuration error: what an operator wrote (the environment, a connector's entry in
 * CONNECTORS_FILE, a connector's credentials) is wrong, and only the operator can fix it. It
 * lives in the domain because the hub's own config, the runner and the connectors all throw it,
 * and each of them may import the domain. Airbyte calls this class of failure config_error:
 * never retried, shown verbatim.
 */
export class ConfigError extends Error {
  readonly failureType = 'config' as const;
  /** One line per thing to fix. */
  readonly problems: string[];

  /** `subject`: what the config is of (`connector police`); absent: the hub's own environment. */
  constructor(problems: string[] | string, options: { subject?: string; cause?: unknown } = {}) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(
      options.subject === undefined
        ? `Invalid configuration:\n${list.map((p) => `  - ${p}`).join('\n')}`
        : `${options.subject}: invalid config: ${list.join('; ')}`,
      { cause: options.cause },
    );
    this.name = 'ConfigError';
    this.problems = list;
  }
}

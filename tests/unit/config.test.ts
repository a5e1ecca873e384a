import { ConfigError, loadConfig, redactUrl } from '../../src/config.js';

describe('configuration from the environment', () => {
  test('defaults give the embedded hub on port 4000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 4000, HOST: '0.0.0.0', DATA_DIR: '.liandong', NODE_ENV: 'development' });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  test('every wrong value is named, all at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', DEMO_DATA: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^PORT: /m);
    expect(problems).toMatch(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
    expect(problems).toMatch(/^DEMO_DATA: /m);
  });

  test('retention settings default as docs/retention.md says, and refuse values that would misbehave', () => {
    expect(loadConfig({})).toMatchObject({
      RETENTION_INTERVAL_MINUTES: 60, RETENTION_CHANGE_EVENT_MIN_AGE_HOURS: 72, RETENTION_CONSUMER_STALE_HOURS: 24,
      RETENTION_AUDIT_MONTHS_AHEAD: 3, RETENTION_AUDIT_ARCHIVE_AFTER_MONTHS: 0,
    });
    // Past about 24.8 days a Node timer fires at once, over and over: a week is the most.
    expect(() => loadConfig({ RETENTION_INTERVAL_MINUTES: '50000' })).toThrow(/RETENTION_INTERVAL_MINUTES: must be at most 10080/);
    expect(() => loadConfig({ RETENTION_AUDIT_MONTHS_AHEAD: '0' })).toThrow(/RETENTION_AUDIT_MONTHS_AHEAD/);
    expect(() => loadConfig({ RETENTION_CHANGE_EVENT_MIN_AGE_HOURS: '-1' })).toThrow(/RETENTION_CHANGE_EVENT_MIN_AGE_HOURS/);
  });

  test('production refuses to run on a development key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_JWKS_URL or JWT_SECRET: one is required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).NODE_ENV).toBe('production');
  });

  test('empty variables count as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(4000);
  });

  test('database URLs are logged without their password', () => {
    expect(redactUrl('postgres://hub:s3cret@db:5432/liandong')).toBe('postgres://hub:***@db:5432/liandong');
    expect(redactUrl('postgres://db/liandong')).toBe('postgres://db/liandong');
  });
});

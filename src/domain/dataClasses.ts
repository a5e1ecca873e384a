/**
 * The classes of data a department brings, a small closed set: each connector's spec declares
 * one, and each role reads records by class (src/store/policy.ts). A newly connected department
 * is then visible to the roles that read its class, with no change to the policy. A class that
 * fits none of these is a new line here and a decision, per role, in the policy's table.
 */
export const DATA_CLASSES = [
  /** Who lives where: the population register (户籍, 流动人口), households. */
  'civil-registry',
  /** Buildings, dwellings and who owns or rents them (楼盘表, 房屋登记). */
  'housing',
  /** Enterprises and their registrations, licences, inspections (市场监管). */
  'market',
  /** Police: 110 incidents, residence registration, key persons (公安). */
  'public-security',
  /** Courts: judgments, dishonest debtors (法院). */
  'judicial',
  /** Fire safety: inspections, hazards, units (消防). */
  'fire',
  /** Civil affairs: special groups, subsidies, guardians (民政). */
  'social-services',
] as const;

export type DataClass = (typeof DATA_CLASSES)[number];

export function isDataClass(value: unknown): value is DataClass {
  return typeof value === 'string' && (DATA_CLASSES as readonly string[]).includes(value);
}

/**
 * The class of each department this process knows of. Connectors declare theirs in their spec;
 * the hub declares it here when it configures or syncs them (declareDataClass). The seven
 * departments the hub ships with are known from the start, so that a process that serves
 * without having loaded their connectors (a read replica, a test on a prepared store) decides
 * the same; tests/connectors checks that this list agrees with their specs.
 */
const known = new Map<string, DataClass>([
  ['population', 'civil-registry'],
  ['housing', 'housing'],
  ['enterprise', 'market'],
  ['police', 'public-security'],
  ['court', 'judicial'],
  ['fire', 'fire'],
  ['social', 'social-services'],
]);

export function declareDataClass(department: string, dataClass: DataClass): void {
  known.set(department, dataClass);
}

/** The department's class; null for one this process has not been told of (visible only to roles that see every department). */
export function dataClassOf(department: string): DataClass | null {
  return known.get(department) ?? null;
}

/** Every department this process knows of whose class is one of `classes`. */
export function departmentsOfClasses(classes: ReadonlySet<DataClass>): string[] {
  return [...known].filter(([, c]) => classes.has(c)).map(([d]) => d);
}

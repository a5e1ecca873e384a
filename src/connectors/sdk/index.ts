/** The connector SDK: everything a department connector may import from the hub. */
export * from './contract.js';
export * from './errors.js';
export { createSourceHttp, redactUrl, retryAfterMs, type SourceHttpOptions } from './http.js';
export * from './values.js';
export { createConnectorCache } from './cache.js';
export { DATA_CLASSES, type DataClass } from '../../domain/dataClasses.js';
export { systemClock, type Clock } from '../../domain/clock.js';
export { fetchJsonPage, parseJsonPage, textFieldIn, type FetchedJsonPage, type FetchJsonPageOptions, type JsonPage, type JsonPageOptions } from './json.js';

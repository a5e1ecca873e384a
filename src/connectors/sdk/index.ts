/** The connector SDK: everything a department connector may import from the hub. */
export * from './contract.js';
export * from './errors.js';
export { createSourceHttp, redactUrl, retryAfterMs, type SourceHttpOptions } from './http.js';
export * from './values.js';
export { parseJsonPage, textFieldIn, type JsonPage, type JsonPageOptions } from './json.js';

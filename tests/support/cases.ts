/**
 * The one way live tests write case events until the case workflow's mutations are merged:
 * then these become `reportCase` / transition mutations over the hub.
 */
export { appendCaseEvent, reportCaseDirectly, type CaseEventInput, type ReportedCase } from '../../bench/lib/reportCase.js';

/**
 * zh-CN first, English as a switch. One flat dictionary per language, keys in English; a key
 * missing from a language falls back to zh-CN so a gap shows Chinese, never a raw key.
 * Times are always shown in Asia/Shanghai, whatever the browser's zone.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh-CN' | 'en';
export const TIME_ZONE = 'Asia/Shanghai';

const zh = {
  appName: '联动 · 城市治理控制台',
  navSearch: '综合查询', navCockpit: '数字驾驶舱', navCases: '事件处置', navQueue: '工作队列', navDepartments: '联动单位', navGraphiql: 'GraphiQL',
  signIn: '登录', signOut: '退出', signInTitle: '登录控制台', devSignIn: '开发环境：选择角色登录', devOnly: '仅在非生产环境提供，签发开发令牌。',
  role: '角色', grid: '网格', street: '街道', department: '部门', name: '姓名', enter: '进入',
  oidcSignIn: '通过统一身份认证登录', pasteToken: '或粘贴令牌', pasteTokenHint: 'Bearer 令牌（JWT）', useToken: '使用令牌',
  signingIn: '正在登录…', signInFailed: '登录失败',
  purposeTitle: '查看个人信息前，请说明用途', purposeHint: '用途将随每次查询记入审计日志（例如：入户走访、案件编号）。',
  purposeLabel: '查询用途', purposeConfirm: '确认', purposeCurrent: '当前用途', purposeChange: '更换用途', purposeNone: '未声明用途',
  purposeVisit: '入户走访', purposeCase: '案件办理', purposeCare: '特殊人群关爱', purposeMediation: '矛盾纠纷调解',
  searchPlaceholder: '姓名 / 拼音 / 首字母 / 身份证或电话片段 / 地址 / 企业 / 案件编号', searchHint: '↑↓ 选择，Enter 打开，Esc 清空',
  results: '条结果', noResults: '没有匹配的结果', facetStreet: '街道', facetType: '类型', all: '全部', clear: '清除',
  reasons: '匹配原因',
  person: '人员', building: '房屋', enterprise: '企业', case: '事件',
  idNumber: '身份证号', phone: '电话', sex: '性别', birthDate: '出生日期', residenceType: '人口类型', tags: '标签',
  household: '户籍', householdNo: '户号', members: '家庭成员', relation: '与户主关系', dwelling: '住所', address: '地址',
  gridStaff: '网格人员', records: '各部门记录', provenance: '来源', stream: '数据流', sourceId: '源记录号', fetchedAt: '抓取时间',
  disagreements: '数据不一致', statedBy: '来源部门', cases: '相关事件', audit: '访问审计', auditWho: '访问者', auditWhen: '时间', auditWhy: '用途', auditFields: '字段',
  link: '关联依据', linkMethod: '方式', score: '置信度', duplicates: '疑似重复', none: '无',
  dwellingTable: '楼盘表', unit: '单元', floor: '层', room: '室', occupancy: '居住状态', residents: '住户', floors: '层数', builtYear: '建成年份', use: '用途',
  enterprises: '楼内企业', fireRecords: '消防检查与隐患', legalRep: '法定代表人', industry: '行业', status: '状态',
  gridPage: '网格', buildings: '房屋', people: '人口', openCases: '未办结事件', map: '地图', staff: '人员',
  cockpitTitle: '数字驾驶舱', open: '未办结', overdue: '超时', escalated: '已升级', supervised: '督办', closedToday: '今日办结',
  meanDispatch: '平均派单用时', meanClose: '平均办结用时', minutes: '分钟', liveFeed: '实时事件流', live: '实时', reconnecting: '重连中…',
  overdueList: '超时事件', escalatedList: '升级事件', byCategory: '按类别',
  casesTitle: '事件处置', reportCase: '登记事件', title: '标题', description: '描述', category: '类别', urgency: '紧急程度', channel: '来源渠道',
  submit: '提交', reported: '已登记', number: '编号', reportedAt: '登记时间', level: '层级', sla: '时限', dueIn: '剩余', overdueBy: '已超时',
  dispatch: '派单', lead: '主办', cooperating: '协办', accept: '签收', start: '到场处置', complete: '办结', result: '处置结果',
  photo: '现场照片', photoHint: '照片在媒体库中的编号或地址', escalateHint: '网格内无法解决的，上报街道处置。',
  feedback: '回访', close: '结案', escalate: '升级', supervise: '督办', reopen: '重新打开', note: '备注', timeline: '处置过程', dispatches: '派单', actions: '操作',
  satisfied: '满意', basicallySatisfied: '基本满意', unsatisfied: '不满意', queueTitle: '本部门工作队列', caseCreated: '事件已登记',
  departmentsTitle: '联动单位与数据接入', health: '状态', lastSync: '最近同步', recordCount: '记录数', unlinked: '未关联', deadLetters: '死信',
  cursor: '读取位置', lastRun: '最近运行', replay: '重放死信', replayed: '已重放', read: '读取', stored: '入库', changed: '变更', reason: '原因', stage: '阶段',
  loading: '加载中…', notFound: '未找到，或不在您的权限范围内。', outOfScope: '此人不在您负责的网格内，无法查看。',
  gridNotMine: '这不是您负责的网格：可以查看边界和网格员，其中的人员、房屋和事件只在您自己的网格内可见。',
  errForbidden: '您的角色无权执行此操作', errAuth: '登录已失效，请重新登录', errPurpose: '查看个人信息需要先声明用途', errLimit: '请求过于频繁，请稍后再试',
  errUnavailable: '服务暂不可用，请稍后重试', errInvalid: '当前状态下不能执行此操作', errGeneric: '出错了',
  errPage: '页面未能显示，请重新加载', reload: '重新加载',
  aggregatesOnly: '您的角色只能查看汇总数据。', language: 'English', yes: '是', no: '否', open360: '查看详情', refresh: '刷新',
} as const;

export type MessageKey = keyof typeof zh;

const en: Partial<Record<MessageKey, string>> = {
  appName: 'Liandong · Governance console',
  navSearch: 'Search', navCockpit: 'Cockpit', navCases: 'Cases', navQueue: 'Work queue', navDepartments: 'Departments', navGraphiql: 'GraphiQL',
  signIn: 'Sign in', signOut: 'Sign out', signInTitle: 'Sign in to the console', devSignIn: 'Development: sign in as a role', devOnly: 'Only outside production; mints a development token.',
  role: 'Role', grid: 'Grid', street: 'Street', department: 'Department', name: 'Name', enter: 'Enter',
  oidcSignIn: 'Sign in with the identity provider', pasteToken: 'or paste a token', pasteTokenHint: 'Bearer token (JWT)', useToken: 'Use token',
  signingIn: 'Signing in…', signInFailed: 'Sign-in failed',
  purposeTitle: 'Before personal data: why do you need it?', purposeHint: 'The purpose is recorded in the audit trail with every read (a home visit, a case number…).',
  purposeLabel: 'Purpose', purposeConfirm: 'Confirm', purposeCurrent: 'Purpose', purposeChange: 'Change', purposeNone: 'No purpose declared',
  purposeVisit: 'Home visit', purposeCase: 'Case handling', purposeCare: 'Care for special groups', purposeMediation: 'Dispute mediation',
  searchPlaceholder: 'Name / pinyin / initials / ID or phone digits / address / enterprise / case number', searchHint: '↑↓ choose, Enter opens, Esc clears',
  results: 'results', noResults: 'Nothing matches', facetStreet: 'Street', facetType: 'Type', all: 'All', clear: 'Clear',
  reasons: 'Matched on',
  person: 'Person', building: 'Building', enterprise: 'Enterprise', case: 'Case',
  idNumber: 'ID number', phone: 'Phone', sex: 'Sex', birthDate: 'Born', residenceType: 'Residence', tags: 'Tags',
  household: 'Household', householdNo: 'Household no.', members: 'Members', relation: 'Relation', dwelling: 'Dwelling', address: 'Address',
  gridStaff: 'Grid staff', records: 'Department records', provenance: 'Provenance', stream: 'Stream', sourceId: 'Source id', fetchedAt: 'Fetched',
  disagreements: 'Disagreements', statedBy: 'Stated by', cases: 'Cases', audit: 'Access audit', auditWho: 'Reader', auditWhen: 'When', auditWhy: 'Purpose', auditFields: 'Fields',
  link: 'Link evidence', linkMethod: 'Method', score: 'Score', duplicates: 'Possible duplicates', none: 'None',
  dwellingTable: 'Dwelling table', unit: 'Unit', floor: 'Floor', room: 'Room', occupancy: 'Occupancy', residents: 'Residents', floors: 'Floors', builtYear: 'Built', use: 'Use',
  enterprises: 'Enterprises', fireRecords: 'Fire inspections and hazards', legalRep: 'Legal representative', industry: 'Industry', status: 'Status',
  gridPage: 'Grid', buildings: 'Buildings', people: 'People', openCases: 'Open cases', map: 'Map', staff: 'Staff',
  cockpitTitle: 'Cockpit', open: 'Open', overdue: 'Overdue', escalated: 'Escalated', supervised: 'Supervised', closedToday: 'Closed today',
  meanDispatch: 'Mean time to dispatch', meanClose: 'Mean time to close', minutes: 'min', liveFeed: 'Live case feed', live: 'Live', reconnecting: 'Reconnecting…',
  overdueList: 'Overdue', escalatedList: 'Escalated', byCategory: 'By category',
  casesTitle: 'Cases', reportCase: 'Report a case', title: 'Title', description: 'Description', category: 'Category', urgency: 'Urgency', channel: 'Channel',
  submit: 'Submit', reported: 'Reported', number: 'Number', reportedAt: 'Reported', level: 'Level', sla: 'Deadline', dueIn: 'Due in', overdueBy: 'Overdue by',
  dispatch: 'Dispatch', lead: 'Lead', cooperating: 'Cooperating', accept: 'Accept', start: 'Start on site', complete: 'Complete', result: 'Result',
  photo: 'Photo', photoHint: 'The photo\'s key or URL in the media store', escalateHint: 'What the grid cannot resolve goes up to the street.',
  feedback: 'Feedback', close: 'Close', escalate: 'Escalate', supervise: 'Supervise', reopen: 'Reopen', note: 'Note', timeline: 'Timeline', dispatches: 'Dispatches', actions: 'Actions',
  satisfied: 'Satisfied', basicallySatisfied: 'Basically satisfied', unsatisfied: 'Unsatisfied', queueTitle: 'My department\'s work queue', caseCreated: 'Case reported',
  departmentsTitle: 'Departments and connectors', health: 'Health', lastSync: 'Last sync', recordCount: 'Records', unlinked: 'Unlinked', deadLetters: 'Dead letters',
  cursor: 'Cursor', lastRun: 'Last run', replay: 'Replay dead letters', replayed: 'Replayed', read: 'Read', stored: 'Stored', changed: 'Changed', reason: 'Reason', stage: 'Stage',
  loading: 'Loading…', notFound: 'Not found, or outside what you may see.', outOfScope: 'This person lives outside your grid; you may not open them.',
  gridNotMine: 'This is not your grid: you may see its boundary and staff; the people, buildings and cases in it are visible only in your own grids.',
  errForbidden: 'Your role may not do this', errAuth: 'Your sign-in has expired; sign in again', errPurpose: 'Declare a purpose before reading personal data', errLimit: 'Too many requests; try again shortly',
  errUnavailable: 'A service is unavailable; try again later', errInvalid: 'Not possible in the case\'s current state', errGeneric: 'Something went wrong',
  errPage: 'This page could not be shown; reload it', reload: 'Reload',
  aggregatesOnly: 'Your role sees aggregates only.', language: '中文', yes: 'Yes', no: 'No', open360: 'Open', refresh: 'Refresh',
};

/** Labels of the API's enums, by enum value, per language. */
const enumsZh: Record<string, string> = {
  DISTRICT_ADMIN: '区级管理员', STREET_OPERATOR: '街道指挥中心', GRID_WORKER: '网格员', POLICE: '公安', COURT: '法院', FIRE: '消防',
  SOCIAL_WORKER: '民政社工', DEPARTMENT_STAFF: '职能部门', DATA_STEWARD: '数据治理员', INTEGRATOR: '接入运维', DASHBOARD: '大屏（仅汇总）',
  REPORTED: '已登记', DISPATCHED: '已派单', IN_PROGRESS: '处置中', CLOSED: '已结案',
  LOW: '低', NORMAL: '一般', HIGH: '紧急', CRITICAL: '特急',
  HOTLINE_12345: '12345 热线', POLICE_110: '110 转办', COMMAND_CENTER: '指挥中心', GRID_PATROL: '网格巡查', CONNECTOR: '部门系统',
  GRID: '网格级', STREET: '街道级', DISTRICT: '区级',
  LEAD: '主办', COOPERATING: '协办', PENDING: '待签收', ACCEPTED: '已签收', COMPLETED: '已办结',
  STARTED: '到场处置', FEEDBACK: '回访', REOPENED: '重新打开', ESCALATED: '升级', SUPERVISED: '督办', ROLE_CHANGED: '调整主协办',
  SITE_VISIT: '现场核查', JOINT_MEETING: '联席会议', VISIT: '走访',
  MALE: '男', FEMALE: '女', HUKOU: '户籍人口', FLOATING: '流动人口',
  HEAD: '户主', SPOUSE: '配偶', CHILD: '子女', PARENT: '父母', GRANDCHILD: '孙辈', OTHER: '其他',
  ELDERLY_LIVING_ALONE: '独居老人', DISABLED: '残疾人', COMMUNITY_CORRECTION: '社区矫正', HARDSHIP: '困难群众', LEFT_BEHIND_CHILD: '留守儿童',
  OWNER_OCCUPIED: '自住', RENTED: '出租', VACANT: '空置',
  RESIDENTIAL: '住宅', COMMERCIAL: '商业', MIXED: '商住', INDUSTRIAL: '工业', PUBLIC: '公共',
  NEVER_SYNCED: '未同步', HEALTHY: '正常', DEGRADED: '降级', DOWN: '中断',
  ID_NUMBER: '身份证号', CREDIT_CODE: '信用代码', CASE_NUMBER: '事件编号', PHONE: '电话', NAME: '姓名', ADDRESS: '地址', PINYIN: '拼音',
  ID_SUFFIX: '身份证尾号', LEGAL_REPRESENTATIVE: '法定代表人', NAME_PARTIAL: '部分姓名', INITIALS: '首字母', TYPO: '近似', TEXT: '文本',
  PERSON: '人员', BUILDING: '房屋', ENTERPRISE: '企业', CASE: '事件',
  KEY: '证件号', RECOVERED_KEY: '纠错证件号', PROBABILISTIC: '概率匹配', HUMAN: '人工确认', CREATED: '新建',
  SATISFIED: '满意', BASICALLY_SATISFIED: '基本满意', UNSATISFIED: '不满意',
  LEADER: '网格长', WORKER: '网格员', AUXILIARY_POLICE: '辅警', SUPERVISOR: '督导员',
  ACTIVE: '存续', SUSPENDED: '停业', DEREGISTERED: '注销',
};
const enumsEn: Record<string, string> = {
  DISTRICT_ADMIN: 'District admin', STREET_OPERATOR: 'Street operator', GRID_WORKER: 'Grid worker', POLICE: 'Police', COURT: 'Court', FIRE: 'Fire',
  SOCIAL_WORKER: 'Social worker', DEPARTMENT_STAFF: 'Department staff', DATA_STEWARD: 'Data steward', INTEGRATOR: 'Integrator', DASHBOARD: 'Dashboard (aggregates)',
  HOTLINE_12345: '12345 hotline', POLICE_110: '110 transfer', GRID_PATROL: 'Grid patrol', HUKOU: 'Registered (hukou)', FLOATING: 'Floating',
  ELDERLY_LIVING_ALONE: 'Elderly living alone', LEFT_BEHIND_CHILD: 'Left-behind child', COMMUNITY_CORRECTION: 'Community correction',
  OWNER_OCCUPIED: 'Owner-occupied', NEVER_SYNCED: 'Never synced', ID_SUFFIX: 'ID suffix', NAME_PARTIAL: 'Part of name', RECOVERED_KEY: 'Recovered key',
  BASICALLY_SATISFIED: 'Basically satisfied', AUXILIARY_POLICE: 'Auxiliary police', LEGAL_REPRESENTATIVE: 'Legal representative', CASE_NUMBER: 'Case number',
  ID_NUMBER: 'ID number', CREDIT_CODE: 'Credit code', IN_PROGRESS: 'In progress', ROLE_CHANGED: 'Roles changed', SITE_VISIT: 'Site visit', JOINT_MEETING: 'Joint meeting',
};

/**
 * Department records state facts under the canonical field names (src/domain/canonical.ts) and
 * enum values in lower case; a case worker reads them in the console's language.
 */
const factsZh: Record<string, string> = {
  name: '姓名', idNumber: '身份证号', sex: '性别', birthDate: '出生日期', phone: '电话', residenceType: '人口类型', address: '地址',
  householdNumber: '户号', relationToHead: '与户主关系', tags: '标签',
  // A person's fields as the access audit lists what a request selected.
  id: '编号', household: '户', dwelling: '房屋', building: '楼栋', grid: '网格', records: '部门记录', disagreements: '数据不一致', cases: '相关事件',
  use: '用途', floors: '层数', builtYear: '建成年份', lat: '纬度', lng: '经度', community: '社区',
  unit: '单元', room: '室', floorArea: '建筑面积', occupancy: '居住状态',
  creditCode: '统一社会信用代码', legalRepresentative: '法定代表人', industry: '行业', status: '状态', registeredOn: '成立日期',
};
const factsEn: Record<string, string> = {
  idNumber: 'ID number', birthDate: 'Birth date', residenceType: 'Residence type', householdNumber: 'Household number',
  relationToHead: 'Relation to head', builtYear: 'Built in', lat: 'Latitude', lng: 'Longitude', floorArea: 'Floor area',
  creditCode: 'Credit code', legalRepresentative: 'Legal representative', registeredOn: 'Registered on',
};
/** Facts whose values are enums (lists of them, for tags): shown as the enum's label. */
const ENUM_FACTS = new Set(['sex', 'residenceType', 'relationToHead', 'tags', 'use', 'occupancy', 'status']);

interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey) => string;
  /** An enum value's label, e.g. e('IN_PROGRESS'). */
  e: (value: string | null | undefined) => string;
  /** A date-time in Asia/Shanghai. */
  time: (iso: string | null | undefined, withDate?: boolean) => string;
  /** A department record's field name (`residenceType`) as a label. */
  fact: (field: string) => string;
  /** A department record's value of that field (`floating`), enums as their labels. */
  factValue: (field: string, value: string | null | undefined) => string;
  /** Items joined as the language lists them (、 in Chinese). */
  list: (items: string[]) => string;
}

const I18nContext = createContext<I18n | null>(null);
const STORAGE_KEY = 'liandong.lang';

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const stored: Lang = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
    document.documentElement.lang = stored; // index.html says zh-CN; a tab reopened in English says so too
    return stored;
  });
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const formats = {
      full: new Intl.DateTimeFormat(lang, { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }),
      short: new Intl.DateTimeFormat(lang, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }),
    };
    return {
      lang,
      setLang,
      t: (key) => (lang === 'en' ? en[key] ?? zh[key] : zh[key]),
      e: (v) => (v ? (lang === 'en' ? enumsEn[v] ?? titleCase(v) : enumsZh[v] ?? v) : '—'),
      time: (iso, withDate = true) => (iso ? (withDate ? formats.full : formats.short).format(new Date(iso)) : '—'),
      fact: (field) => (lang === 'en' ? factsEn[field] ?? titleCase(field.replace(/[A-Z]/g, (c) => `_${c}`)) : factsZh[field] ?? field),
      list: (items) => items.join(lang === 'en' ? ', ' : '、'),
      factValue: (field, v) => {
        if (v === null || v === undefined || v === '') return '—';
        if (!ENUM_FACTS.has(field)) return v;
        const label = (one: string) => {
          const key = one.trim().toUpperCase();
          return lang === 'en' ? enumsEn[key] ?? titleCase(key) : enumsZh[key] ?? one;
        };
        return v.split(',').map(label).join(lang === 'en' ? ', ' : '、');
      },
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

function titleCase(v: string): string {
  const s = v.toLowerCase().replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

/**
 * Departments a case can be dispatched to (联动单位). Those with a connector create their own
 * row on first sync; the ones here without a connector (environment, urban management, land…)
 * get theirs the first time a case is dispatched to them. Adding a department is adding a line.
 */
export const CASE_DEPARTMENTS: ReadonlyArray<readonly [name: string, displayName: string]> = [
  ['environment', '生态环境分局'],
  ['urban_management', '城市管理局 (综合行政执法)'],
  ['land', '自然资源和规划分局'],
  ['human_resources', '人力资源和社会保障局'],
  ['justice', '司法局 (法律援助)'],
  ['emergency', '应急管理局'],
  ['education', '教育局'],
  ['health', '卫生健康局'],
  ['transport', '交通运输局'],
  ['community', '村 (社区) 两委'],
];

export function caseDepartmentName(name: string): string | null {
  return CASE_DEPARTMENTS.find(([n]) => n === name)?.[1] ?? null;
}

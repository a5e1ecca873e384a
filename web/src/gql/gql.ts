/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment RecordFields on SourceRecord {\n    id\n    stream\n    sourceId\n    fetchedAt\n    sourceUpdatedAt\n    role\n    linked\n    department { name displayName }\n    link { method score evidence { field agreement weight } }\n    facts { field value }\n  }\n": typeof types.RecordFieldsFragmentDoc,
    "\n  subscription CaseEventsFeed($after: String) {\n    caseEvents(after: $after) {\n      cursor\n      event { id type actor actorRole at note toStatus department { name displayName } }\n      case { id number title status urgency grid { id name } }\n    }\n  }\n": typeof types.CaseEventsFeedDocument,
    "\n  query CaseEventsCursor { caseEventsCursor }\n": typeof types.CaseEventsCursorDocument,
    "\n  query ConsoleBuilding($id: ID!) {\n    building(id: $id) {\n      id name floors builtYear use\n      address { text }\n      grid { id name }\n      dwellings { id unit room occupancy floorArea residents { id name } }\n      enterprises { id name creditCode legalRepresentative industry status }\n      records { ...RecordFields }\n      disagreements { field }\n    }\n    cases(filter: { buildingId: $id }, first: 20) {\n      totalCount\n      edges { node { id number title status reportedAt } }\n    }\n  }\n": typeof types.ConsoleBuildingDocument,
    "\n  query ConsoleCase($id: ID!) {\n    case(id: $id) {\n      id number title description category urgency status channel level reportedAt closedAt supervised escalatedAt\n      address { text }\n      building { id name }\n      grid { id name }\n      people { id name }\n      dispatches { id role status dispatchedAt acceptedAt arrivedAt completedAt result department { name displayName } }\n      history { id type actor actorRole at note toStatus department { displayName } }\n      sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }\n      feedback { satisfaction note recordedAt }\n    }\n    departments { name displayName }\n    caseDepartments { name displayName }\n    caseCategories { code title }\n  }\n": typeof types.ConsoleCaseDocument,
    "mutation ConsoleDispatch($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { id status } events { id } } }": typeof types.ConsoleDispatchDocument,
    "mutation ConsoleAccept($id: ID!) { acceptDispatch(dispatchId: $id) { case { id status } events { id } } }": typeof types.ConsoleAcceptDocument,
    "mutation ConsoleStart($id: ID!) { startDispatch(dispatchId: $id) { case { id status } events { id } } }": typeof types.ConsoleStartDocument,
    "mutation ConsoleComplete($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) { case { id status } events { id } } }": typeof types.ConsoleCompleteDocument,
    "mutation ConsoleFeedback($id: ID!, $satisfaction: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $satisfaction, note: $note) { case { id status } events { id } } }": typeof types.ConsoleFeedbackDocument,
    "mutation ConsoleClose($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) { case { id status } events { id } } }": typeof types.ConsoleCloseDocument,
    "mutation ConsoleReopen($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) { case { id status } events { id } } }": typeof types.ConsoleReopenDocument,
    "mutation ConsoleEscalate($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) { case { id status level } events { id } } }": typeof types.ConsoleEscalateDocument,
    "mutation ConsoleSupervise($id: ID!) { superviseCase(caseId: $id) { case { id status } events { id } } }": typeof types.ConsoleSuperviseDocument,
    "\n  query ConsoleCases($filter: CaseFilter) {\n    cases(filter: $filter, first: 50) {\n      totalCount\n      edges {\n        node {\n          id number title status urgency level category reportedAt\n          grid { name }\n          sla { dueAt overdue }\n          dispatches { id role status department { name displayName } }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleCasesDocument,
    "\n  query ConsoleReportForm {\n    caseCategories { code title }\n    viewer { grids { id boundary { coordinates } } }\n  }\n": typeof types.ConsoleReportFormDocument,
    "\n  mutation ConsoleReportCase($input: ReportCaseInput!) {\n    reportCase(input: $input) { case { id number } events { id } }\n  }\n": typeof types.ConsoleReportCaseDocument,
    "\n  mutation ConsoleReportPatrol($input: ReportPatrolInput!) {\n    reportPatrol(input: $input) { case { id number } events { id } }\n  }\n": typeof types.ConsoleReportPatrolDocument,
    "\n  query CockpitGrids($after: String) {\n    grids(first: 100, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name street { id } boundary { coordinates } } }\n    }\n  }\n": typeof types.CockpitGridsDocument,
    "\n  query CockpitScope { viewer { grids { id } streets { id } } }\n": typeof types.CockpitScopeDocument,
    "\n  subscription CockpitDashboard {\n    dashboard {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n      byGrid { grid { id } open overdue }\n    }\n  }\n": typeof types.CockpitDashboardDocument,
    "\n  query CockpitLists {\n    overdue: cases(filter: { overdue: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title sla { owedBy } } }\n    }\n    escalated: cases(filter: { escalated: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title level escalatedAt } }\n    }\n  }\n": typeof types.CockpitListsDocument,
    "\n  query ConsoleDepartments {\n    departments {\n      id name displayName\n      connector {\n        status lastSyncAt lastAttemptAt lastError version recordCount unlinkedCount deadLetterCount\n        streams { name cursor updatedAt lastRun { trigger status startedAt finishedAt read stored changed deadLettered error } }\n      }\n      deadLetters(first: 20) { id stream sourceId stage reason attempts lastSeenAt }\n    }\n  }\n": typeof types.ConsoleDepartmentsDocument,
    "\n  mutation ConsoleReplayDeadLetters($department: String!) {\n    replayDeadLetters(department: $department) { replayed stored stillFailing }\n  }\n": typeof types.ConsoleReplayDeadLettersDocument,
    "\n  query ConsoleGrid($id: ID!) {\n    grid(id: $id) {\n      id name code\n      street { name }\n      community { name }\n      boundary { coordinates }\n      members { id name role phone }\n    }\n    buildings(filter: { area: { gridId: $id } }, first: 100) {\n      totalCount\n      edges { node { id name use location { lat lng } } }\n    }\n    cases(filter: { area: { gridId: $id }, status: [REPORTED, DISPATCHED, IN_PROGRESS] }, first: 20) {\n      totalCount\n      edges { node { id number title status urgency sla { dueAt overdue } } }\n    }\n  }\n": typeof types.ConsoleGridDocument,
    "\n  query ConsoleGridPeople($id: ID!) {\n    people(filter: { area: { gridId: $id } }, first: 0) { totalCount }\n    elderly: people(filter: { area: { gridId: $id }, tags: [ELDERLY_LIVING_ALONE] }, first: 0) { totalCount }\n  }\n": typeof types.ConsoleGridPeopleDocument,
    "\n  subscription ConsoleDashboard($area: ID) {\n    dashboard(area: $area) {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n    }\n  }\n": typeof types.ConsoleDashboardDocument,
    "\n  query ConsolePerson($id: ID!) {\n    person(id: $id) {\n      id name idNumber phone sex birthDate residenceType tags relationToHead\n      household { id number members { id name relationToHead } }\n      dwelling { id unit room occupancy }\n      building { id name }\n      address { text normalized }\n      grid { id name members { id name role phone } }\n      records { ...RecordFields }\n      disagreements { field values { value departments } }\n      cases(first: 10) { id number title status reportedAt }\n    }\n  }\n": typeof types.ConsolePersonDocument,
    "\n  query ConsolePersonAudit($id: ID!) {\n    auditTrail(filter: { personId: $id }, first: 20) {\n      totalCount\n      edges { node { at subject role purpose fields operation } }\n    }\n  }\n": typeof types.ConsolePersonAuditDocument,
    "\n  query ConsolePersonDuplicates($input: ResolvePersonInput!) {\n    resolvePerson(input: $input, first: 5) { score person { id name idNumber grid { name } } evidence { field agreement } }\n  }\n": typeof types.ConsolePersonDuplicatesDocument,
    "\n  query ConsoleSearch($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int) {\n    search(query: $q, types: $types, filter: $filter, first: $first) {\n      totalCount\n      edges {\n        cursor\n        reasons\n        highlights { field fragment }\n        node {\n          __typename\n          ... on Person { id name idNumber phone grid { name } }\n          ... on Building { id name address { normalized } grid { name } }\n          ... on Enterprise { id name creditCode building { id } }\n          ... on Case { id number title status }\n        }\n      }\n      facets {\n        street { area { id name } count }\n        type { type count }\n      }\n    }\n  }\n": typeof types.ConsoleSearchDocument,
};
const documents: Documents = {
    "\n  fragment RecordFields on SourceRecord {\n    id\n    stream\n    sourceId\n    fetchedAt\n    sourceUpdatedAt\n    role\n    linked\n    department { name displayName }\n    link { method score evidence { field agreement weight } }\n    facts { field value }\n  }\n": types.RecordFieldsFragmentDoc,
    "\n  subscription CaseEventsFeed($after: String) {\n    caseEvents(after: $after) {\n      cursor\n      event { id type actor actorRole at note toStatus department { name displayName } }\n      case { id number title status urgency grid { id name } }\n    }\n  }\n": types.CaseEventsFeedDocument,
    "\n  query CaseEventsCursor { caseEventsCursor }\n": types.CaseEventsCursorDocument,
    "\n  query ConsoleBuilding($id: ID!) {\n    building(id: $id) {\n      id name floors builtYear use\n      address { text }\n      grid { id name }\n      dwellings { id unit room occupancy floorArea residents { id name } }\n      enterprises { id name creditCode legalRepresentative industry status }\n      records { ...RecordFields }\n      disagreements { field }\n    }\n    cases(filter: { buildingId: $id }, first: 20) {\n      totalCount\n      edges { node { id number title status reportedAt } }\n    }\n  }\n": types.ConsoleBuildingDocument,
    "\n  query ConsoleCase($id: ID!) {\n    case(id: $id) {\n      id number title description category urgency status channel level reportedAt closedAt supervised escalatedAt\n      address { text }\n      building { id name }\n      grid { id name }\n      people { id name }\n      dispatches { id role status dispatchedAt acceptedAt arrivedAt completedAt result department { name displayName } }\n      history { id type actor actorRole at note toStatus department { displayName } }\n      sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }\n      feedback { satisfaction note recordedAt }\n    }\n    departments { name displayName }\n    caseDepartments { name displayName }\n    caseCategories { code title }\n  }\n": types.ConsoleCaseDocument,
    "mutation ConsoleDispatch($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { id status } events { id } } }": types.ConsoleDispatchDocument,
    "mutation ConsoleAccept($id: ID!) { acceptDispatch(dispatchId: $id) { case { id status } events { id } } }": types.ConsoleAcceptDocument,
    "mutation ConsoleStart($id: ID!) { startDispatch(dispatchId: $id) { case { id status } events { id } } }": types.ConsoleStartDocument,
    "mutation ConsoleComplete($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) { case { id status } events { id } } }": types.ConsoleCompleteDocument,
    "mutation ConsoleFeedback($id: ID!, $satisfaction: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $satisfaction, note: $note) { case { id status } events { id } } }": types.ConsoleFeedbackDocument,
    "mutation ConsoleClose($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) { case { id status } events { id } } }": types.ConsoleCloseDocument,
    "mutation ConsoleReopen($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) { case { id status } events { id } } }": types.ConsoleReopenDocument,
    "mutation ConsoleEscalate($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) { case { id status level } events { id } } }": types.ConsoleEscalateDocument,
    "mutation ConsoleSupervise($id: ID!) { superviseCase(caseId: $id) { case { id status } events { id } } }": types.ConsoleSuperviseDocument,
    "\n  query ConsoleCases($filter: CaseFilter) {\n    cases(filter: $filter, first: 50) {\n      totalCount\n      edges {\n        node {\n          id number title status urgency level category reportedAt\n          grid { name }\n          sla { dueAt overdue }\n          dispatches { id role status department { name displayName } }\n        }\n      }\n    }\n  }\n": types.ConsoleCasesDocument,
    "\n  query ConsoleReportForm {\n    caseCategories { code title }\n    viewer { grids { id boundary { coordinates } } }\n  }\n": types.ConsoleReportFormDocument,
    "\n  mutation ConsoleReportCase($input: ReportCaseInput!) {\n    reportCase(input: $input) { case { id number } events { id } }\n  }\n": types.ConsoleReportCaseDocument,
    "\n  mutation ConsoleReportPatrol($input: ReportPatrolInput!) {\n    reportPatrol(input: $input) { case { id number } events { id } }\n  }\n": types.ConsoleReportPatrolDocument,
    "\n  query CockpitGrids($after: String) {\n    grids(first: 100, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name street { id } boundary { coordinates } } }\n    }\n  }\n": types.CockpitGridsDocument,
    "\n  query CockpitScope { viewer { grids { id } streets { id } } }\n": types.CockpitScopeDocument,
    "\n  subscription CockpitDashboard {\n    dashboard {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n      byGrid { grid { id } open overdue }\n    }\n  }\n": types.CockpitDashboardDocument,
    "\n  query CockpitLists {\n    overdue: cases(filter: { overdue: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title sla { owedBy } } }\n    }\n    escalated: cases(filter: { escalated: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title level escalatedAt } }\n    }\n  }\n": types.CockpitListsDocument,
    "\n  query ConsoleDepartments {\n    departments {\n      id name displayName\n      connector {\n        status lastSyncAt lastAttemptAt lastError version recordCount unlinkedCount deadLetterCount\n        streams { name cursor updatedAt lastRun { trigger status startedAt finishedAt read stored changed deadLettered error } }\n      }\n      deadLetters(first: 20) { id stream sourceId stage reason attempts lastSeenAt }\n    }\n  }\n": types.ConsoleDepartmentsDocument,
    "\n  mutation ConsoleReplayDeadLetters($department: String!) {\n    replayDeadLetters(department: $department) { replayed stored stillFailing }\n  }\n": types.ConsoleReplayDeadLettersDocument,
    "\n  query ConsoleGrid($id: ID!) {\n    grid(id: $id) {\n      id name code\n      street { name }\n      community { name }\n      boundary { coordinates }\n      members { id name role phone }\n    }\n    buildings(filter: { area: { gridId: $id } }, first: 100) {\n      totalCount\n      edges { node { id name use location { lat lng } } }\n    }\n    cases(filter: { area: { gridId: $id }, status: [REPORTED, DISPATCHED, IN_PROGRESS] }, first: 20) {\n      totalCount\n      edges { node { id number title status urgency sla { dueAt overdue } } }\n    }\n  }\n": types.ConsoleGridDocument,
    "\n  query ConsoleGridPeople($id: ID!) {\n    people(filter: { area: { gridId: $id } }, first: 0) { totalCount }\n    elderly: people(filter: { area: { gridId: $id }, tags: [ELDERLY_LIVING_ALONE] }, first: 0) { totalCount }\n  }\n": types.ConsoleGridPeopleDocument,
    "\n  subscription ConsoleDashboard($area: ID) {\n    dashboard(area: $area) {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n    }\n  }\n": types.ConsoleDashboardDocument,
    "\n  query ConsolePerson($id: ID!) {\n    person(id: $id) {\n      id name idNumber phone sex birthDate residenceType tags relationToHead\n      household { id number members { id name relationToHead } }\n      dwelling { id unit room occupancy }\n      building { id name }\n      address { text normalized }\n      grid { id name members { id name role phone } }\n      records { ...RecordFields }\n      disagreements { field values { value departments } }\n      cases(first: 10) { id number title status reportedAt }\n    }\n  }\n": types.ConsolePersonDocument,
    "\n  query ConsolePersonAudit($id: ID!) {\n    auditTrail(filter: { personId: $id }, first: 20) {\n      totalCount\n      edges { node { at subject role purpose fields operation } }\n    }\n  }\n": types.ConsolePersonAuditDocument,
    "\n  query ConsolePersonDuplicates($input: ResolvePersonInput!) {\n    resolvePerson(input: $input, first: 5) { score person { id name idNumber grid { name } } evidence { field agreement } }\n  }\n": types.ConsolePersonDuplicatesDocument,
    "\n  query ConsoleSearch($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int) {\n    search(query: $q, types: $types, filter: $filter, first: $first) {\n      totalCount\n      edges {\n        cursor\n        reasons\n        highlights { field fragment }\n        node {\n          __typename\n          ... on Person { id name idNumber phone grid { name } }\n          ... on Building { id name address { normalized } grid { name } }\n          ... on Enterprise { id name creditCode building { id } }\n          ... on Case { id number title status }\n        }\n      }\n      facets {\n        street { area { id name } count }\n        type { type count }\n      }\n    }\n  }\n": types.ConsoleSearchDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RecordFields on SourceRecord {\n    id\n    stream\n    sourceId\n    fetchedAt\n    sourceUpdatedAt\n    role\n    linked\n    department { name displayName }\n    link { method score evidence { field agreement weight } }\n    facts { field value }\n  }\n"): (typeof documents)["\n  fragment RecordFields on SourceRecord {\n    id\n    stream\n    sourceId\n    fetchedAt\n    sourceUpdatedAt\n    role\n    linked\n    department { name displayName }\n    link { method score evidence { field agreement weight } }\n    facts { field value }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CaseEventsFeed($after: String) {\n    caseEvents(after: $after) {\n      cursor\n      event { id type actor actorRole at note toStatus department { name displayName } }\n      case { id number title status urgency grid { id name } }\n    }\n  }\n"): (typeof documents)["\n  subscription CaseEventsFeed($after: String) {\n    caseEvents(after: $after) {\n      cursor\n      event { id type actor actorRole at note toStatus department { name displayName } }\n      case { id number title status urgency grid { id name } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CaseEventsCursor { caseEventsCursor }\n"): (typeof documents)["\n  query CaseEventsCursor { caseEventsCursor }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleBuilding($id: ID!) {\n    building(id: $id) {\n      id name floors builtYear use\n      address { text }\n      grid { id name }\n      dwellings { id unit room occupancy floorArea residents { id name } }\n      enterprises { id name creditCode legalRepresentative industry status }\n      records { ...RecordFields }\n      disagreements { field }\n    }\n    cases(filter: { buildingId: $id }, first: 20) {\n      totalCount\n      edges { node { id number title status reportedAt } }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleBuilding($id: ID!) {\n    building(id: $id) {\n      id name floors builtYear use\n      address { text }\n      grid { id name }\n      dwellings { id unit room occupancy floorArea residents { id name } }\n      enterprises { id name creditCode legalRepresentative industry status }\n      records { ...RecordFields }\n      disagreements { field }\n    }\n    cases(filter: { buildingId: $id }, first: 20) {\n      totalCount\n      edges { node { id number title status reportedAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCase($id: ID!) {\n    case(id: $id) {\n      id number title description category urgency status channel level reportedAt closedAt supervised escalatedAt\n      address { text }\n      building { id name }\n      grid { id name }\n      people { id name }\n      dispatches { id role status dispatchedAt acceptedAt arrivedAt completedAt result department { name displayName } }\n      history { id type actor actorRole at note toStatus department { displayName } }\n      sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }\n      feedback { satisfaction note recordedAt }\n    }\n    departments { name displayName }\n    caseDepartments { name displayName }\n    caseCategories { code title }\n  }\n"): (typeof documents)["\n  query ConsoleCase($id: ID!) {\n    case(id: $id) {\n      id number title description category urgency status channel level reportedAt closedAt supervised escalatedAt\n      address { text }\n      building { id name }\n      grid { id name }\n      people { id name }\n      dispatches { id role status dispatchedAt acceptedAt arrivedAt completedAt result department { name displayName } }\n      history { id type actor actorRole at note toStatus department { displayName } }\n      sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }\n      feedback { satisfaction note recordedAt }\n    }\n    departments { name displayName }\n    caseDepartments { name displayName }\n    caseCategories { code title }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleDispatch($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleDispatch($input: DispatchCaseInput!) { dispatchCase(input: $input) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleAccept($id: ID!) { acceptDispatch(dispatchId: $id) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleAccept($id: ID!) { acceptDispatch(dispatchId: $id) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleStart($id: ID!) { startDispatch(dispatchId: $id) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleStart($id: ID!) { startDispatch(dispatchId: $id) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleComplete($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleComplete($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleFeedback($id: ID!, $satisfaction: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $satisfaction, note: $note) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleFeedback($id: ID!, $satisfaction: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $satisfaction, note: $note) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleClose($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleClose($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleReopen($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleReopen($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleEscalate($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) { case { id status level } events { id } } }"): (typeof documents)["mutation ConsoleEscalate($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) { case { id status level } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ConsoleSupervise($id: ID!) { superviseCase(caseId: $id) { case { id status } events { id } } }"): (typeof documents)["mutation ConsoleSupervise($id: ID!) { superviseCase(caseId: $id) { case { id status } events { id } } }"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCases($filter: CaseFilter) {\n    cases(filter: $filter, first: 50) {\n      totalCount\n      edges {\n        node {\n          id number title status urgency level category reportedAt\n          grid { name }\n          sla { dueAt overdue }\n          dispatches { id role status department { name displayName } }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleCases($filter: CaseFilter) {\n    cases(filter: $filter, first: 50) {\n      totalCount\n      edges {\n        node {\n          id number title status urgency level category reportedAt\n          grid { name }\n          sla { dueAt overdue }\n          dispatches { id role status department { name displayName } }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleReportForm {\n    caseCategories { code title }\n    viewer { grids { id boundary { coordinates } } }\n  }\n"): (typeof documents)["\n  query ConsoleReportForm {\n    caseCategories { code title }\n    viewer { grids { id boundary { coordinates } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleReportCase($input: ReportCaseInput!) {\n    reportCase(input: $input) { case { id number } events { id } }\n  }\n"): (typeof documents)["\n  mutation ConsoleReportCase($input: ReportCaseInput!) {\n    reportCase(input: $input) { case { id number } events { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleReportPatrol($input: ReportPatrolInput!) {\n    reportPatrol(input: $input) { case { id number } events { id } }\n  }\n"): (typeof documents)["\n  mutation ConsoleReportPatrol($input: ReportPatrolInput!) {\n    reportPatrol(input: $input) { case { id number } events { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CockpitGrids($after: String) {\n    grids(first: 100, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name street { id } boundary { coordinates } } }\n    }\n  }\n"): (typeof documents)["\n  query CockpitGrids($after: String) {\n    grids(first: 100, after: $after) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name street { id } boundary { coordinates } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CockpitScope { viewer { grids { id } streets { id } } }\n"): (typeof documents)["\n  query CockpitScope { viewer { grids { id } streets { id } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CockpitDashboard {\n    dashboard {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n      byGrid { grid { id } open overdue }\n    }\n  }\n"): (typeof documents)["\n  subscription CockpitDashboard {\n    dashboard {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n      byGrid { grid { id } open overdue }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CockpitLists {\n    overdue: cases(filter: { overdue: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title sla { owedBy } } }\n    }\n    escalated: cases(filter: { escalated: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title level escalatedAt } }\n    }\n  }\n"): (typeof documents)["\n  query CockpitLists {\n    overdue: cases(filter: { overdue: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title sla { owedBy } } }\n    }\n    escalated: cases(filter: { escalated: true }, order: OLDEST_FIRST, first: 100) {\n      totalCount\n      edges { node { id number title level escalatedAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDepartments {\n    departments {\n      id name displayName\n      connector {\n        status lastSyncAt lastAttemptAt lastError version recordCount unlinkedCount deadLetterCount\n        streams { name cursor updatedAt lastRun { trigger status startedAt finishedAt read stored changed deadLettered error } }\n      }\n      deadLetters(first: 20) { id stream sourceId stage reason attempts lastSeenAt }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleDepartments {\n    departments {\n      id name displayName\n      connector {\n        status lastSyncAt lastAttemptAt lastError version recordCount unlinkedCount deadLetterCount\n        streams { name cursor updatedAt lastRun { trigger status startedAt finishedAt read stored changed deadLettered error } }\n      }\n      deadLetters(first: 20) { id stream sourceId stage reason attempts lastSeenAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleReplayDeadLetters($department: String!) {\n    replayDeadLetters(department: $department) { replayed stored stillFailing }\n  }\n"): (typeof documents)["\n  mutation ConsoleReplayDeadLetters($department: String!) {\n    replayDeadLetters(department: $department) { replayed stored stillFailing }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleGrid($id: ID!) {\n    grid(id: $id) {\n      id name code\n      street { name }\n      community { name }\n      boundary { coordinates }\n      members { id name role phone }\n    }\n    buildings(filter: { area: { gridId: $id } }, first: 100) {\n      totalCount\n      edges { node { id name use location { lat lng } } }\n    }\n    cases(filter: { area: { gridId: $id }, status: [REPORTED, DISPATCHED, IN_PROGRESS] }, first: 20) {\n      totalCount\n      edges { node { id number title status urgency sla { dueAt overdue } } }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleGrid($id: ID!) {\n    grid(id: $id) {\n      id name code\n      street { name }\n      community { name }\n      boundary { coordinates }\n      members { id name role phone }\n    }\n    buildings(filter: { area: { gridId: $id } }, first: 100) {\n      totalCount\n      edges { node { id name use location { lat lng } } }\n    }\n    cases(filter: { area: { gridId: $id }, status: [REPORTED, DISPATCHED, IN_PROGRESS] }, first: 20) {\n      totalCount\n      edges { node { id number title status urgency sla { dueAt overdue } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleGridPeople($id: ID!) {\n    people(filter: { area: { gridId: $id } }, first: 0) { totalCount }\n    elderly: people(filter: { area: { gridId: $id }, tags: [ELDERLY_LIVING_ALONE] }, first: 0) { totalCount }\n  }\n"): (typeof documents)["\n  query ConsoleGridPeople($id: ID!) {\n    people(filter: { area: { gridId: $id } }, first: 0) { totalCount }\n    elderly: people(filter: { area: { gridId: $id }, tags: [ELDERLY_LIVING_ALONE] }, first: 0) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleDashboard($area: ID) {\n    dashboard(area: $area) {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n    }\n  }\n"): (typeof documents)["\n  subscription ConsoleDashboard($area: ID) {\n    dashboard(area: $area) {\n      at open overdue escalated supervised closedToday meanMinutesToDispatch meanMinutesToClose\n      openByCategory { category count }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePerson($id: ID!) {\n    person(id: $id) {\n      id name idNumber phone sex birthDate residenceType tags relationToHead\n      household { id number members { id name relationToHead } }\n      dwelling { id unit room occupancy }\n      building { id name }\n      address { text normalized }\n      grid { id name members { id name role phone } }\n      records { ...RecordFields }\n      disagreements { field values { value departments } }\n      cases(first: 10) { id number title status reportedAt }\n    }\n  }\n"): (typeof documents)["\n  query ConsolePerson($id: ID!) {\n    person(id: $id) {\n      id name idNumber phone sex birthDate residenceType tags relationToHead\n      household { id number members { id name relationToHead } }\n      dwelling { id unit room occupancy }\n      building { id name }\n      address { text normalized }\n      grid { id name members { id name role phone } }\n      records { ...RecordFields }\n      disagreements { field values { value departments } }\n      cases(first: 10) { id number title status reportedAt }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePersonAudit($id: ID!) {\n    auditTrail(filter: { personId: $id }, first: 20) {\n      totalCount\n      edges { node { at subject role purpose fields operation } }\n    }\n  }\n"): (typeof documents)["\n  query ConsolePersonAudit($id: ID!) {\n    auditTrail(filter: { personId: $id }, first: 20) {\n      totalCount\n      edges { node { at subject role purpose fields operation } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsolePersonDuplicates($input: ResolvePersonInput!) {\n    resolvePerson(input: $input, first: 5) { score person { id name idNumber grid { name } } evidence { field agreement } }\n  }\n"): (typeof documents)["\n  query ConsolePersonDuplicates($input: ResolvePersonInput!) {\n    resolvePerson(input: $input, first: 5) { score person { id name idNumber grid { name } } evidence { field agreement } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSearch($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int) {\n    search(query: $q, types: $types, filter: $filter, first: $first) {\n      totalCount\n      edges {\n        cursor\n        reasons\n        highlights { field fragment }\n        node {\n          __typename\n          ... on Person { id name idNumber phone grid { name } }\n          ... on Building { id name address { normalized } grid { name } }\n          ... on Enterprise { id name creditCode building { id } }\n          ... on Case { id number title status }\n        }\n      }\n      facets {\n        street { area { id name } count }\n        type { type count }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSearch($q: String!, $types: [SearchType!], $filter: SearchFilter, $first: Int) {\n    search(query: $q, types: $types, filter: $filter, first: $first) {\n      totalCount\n      edges {\n        cursor\n        reasons\n        highlights { field fragment }\n        node {\n          __typename\n          ... on Person { id name idNumber phone grid { name } }\n          ... on Building { id name address { normalized } grid { name } }\n          ... on Enterprise { id name creditCode building { id } }\n          ... on Case { id number title status }\n        }\n      }\n      facets {\n        street { area { id name } count }\n        type { type count }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;
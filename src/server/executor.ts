import { execute, getOperationAST, OperationTypeNode, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** How the hub executes a validated operation over HTTP (bench/listCost.ts measures the same path). */
export type Executor = (args: ExecutionArgs) => Promise<ExecutionResult>;

type Plan = { compiled: CompiledQuery | null; interpret: boolean };

/**
 * Queries run compiled by graphql-jit, compiled on first use (a few milliseconds, once per
 * document: what the tests execute is what serves); mutations and anything graphql-jit cannot
 * compile run through graphql-js.
 *
 * Why: a list of 100 people executed by graphql-js allocates an argument object, a path and
 * promise bookkeeping per field of every row, and the hub spent more time collecting that than
 * resolving; the compiled query costs half the CPU (docs/performance.md). Apollo hands the same
 * parsed document to every request of a cached operation, so plans are kept per document and
 * die with Apollo's cache entry.
 *
 * What the compiled path relies on (tests/policy/accessMatrix.test.ts holds it): it reads a
 * field without a resolver as a plain property outside its error handling, so every field whose
 * read may throw has a resolver (the connections' `edges` and `pageInfo`, src/resolvers/base.ts).
 * Mutations stay interpreted: they are bound by their writes, and run once.
 */
export function createExecutor(schema: GraphQLSchema): Executor {
  const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  const planOf = (document: DocumentNode, operationName: string | null | undefined): Plan => {
    let byName = plans.get(document);
    if (!byName) plans.set(document, (byName = new Map<string, Plan>()));
    const key = operationName ?? '';
    let plan = byName.get(key);
    if (!plan) {
      const interpret = getOperationAST(document, operationName)?.operation !== OperationTypeNode.QUERY;
      byName.set(key, (plan = { compiled: null, interpret }));
    }
    return plan;
  };
  return async (args) => {
    const plan = planOf(args.document, args.operationName);
    if (!plan.interpret && plan.compiled === null) {
      try {
        const compiled = compileQuery(schema, args.document, args.operationName ?? undefined);
        if (isCompiledQuery(compiled)) plan.compiled = compiled;
        else plan.interpret = true;
      } catch {
        plan.interpret = true;
      }
    }
    if (!plan.compiled) return execute(args);
    const result = await plan.compiled.query(args.rootValue, args.contextValue, args.variableValues ?? {});
    // Any error: graphql-js runs the query again and reports it. A query only reads, so this is
    // side-effect free, and costs twice only when something failed. graphql-jit reports errors in a
    // GraphQLError of its own (graphql's prototype, not its constructor or fields), which Apollo and
    // the hub's masking do not read as graphql-js's: refused variables came out as internal errors,
    // and a database outage lost its 503 (tests/regressions/http.test.ts).
    return result.errors?.length ? execute(args) : result;
  };
}

// PostGraphile 5 (amber preset) over the hub's database, as `npm run bench -- --peers` runs it:
// copied into .liandong/bench/postgraphile/ next to its node_modules and started on Node 22.
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makePgService } from 'postgraphile/adaptors/pg';

const port = Number(process.env.PORT ?? 0);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: Number(process.env.POOL_MAX ?? 20) } })],
  grafserv: { graphiql: false },
};
const pgl = postgraphile(preset);
const server = createServer();
server.on('error', (e) => { console.error(e); process.exit(1); });
await pgl.createServ(grafserv).addTo(server);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`POSTGRAPHILE READY http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/graphql`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => { server.close(); void pgl.release().finally(() => process.exit(0)); });

// tsc compiles only TypeScript; the SDL files travel beside the compiled schema loader.
import { cpSync } from 'node:fs';
cpSync('src/schema', 'dist/src/schema', { recursive: true });

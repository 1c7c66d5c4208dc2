#!/usr/bin/env node
// The `kinko` command. Kinko is written in TypeScript and run through tsx, so the same
// sources serve `npm start`, the CLI and the tests.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));

// The built entry that bin/kitsu-tail.js imports. Kept apart from cli.ts so that importing
// the program in a test does not start it.
import { main } from './cli.js';

await main();

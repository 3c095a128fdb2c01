/**
 * `kitsu-tail logs`: the flags are planned in src/logs/plan.ts, and the work is in
 * src/logs/run.ts (loaded with this module, only when `logs` runs).
 */
export { planLogs as plan } from '../logs/plan.js';
export { runLogs as run } from '../logs/run.js';

// Stands in for ajv in the bundle. conf imports ajv (about 10 MiB and 100 ms at start-up) but
// only uses it when given a JSON schema, and kitsu-tail never gives it one (src/store). Should
// that change, this fails loudly instead of skipping the check.
const refuse = () => {
  throw new Error('kitsu-tail bundles conf without ajv: a conf schema needs the alias in scripts/build.mjs removed');
};
export class Ajv2020 {
  constructor() {
    refuse();
  }
}
export default refuse;

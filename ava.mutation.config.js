// ava settings for `npm run mutation` only (Stryker's command runner runs this once per mutant): the aggregated
// domain unit tests in one worker, stopping at the first failure (a killed mutant needs no second one).
export default {
  files: ['dist/test/mutation/*.js'],
  failFast: true,
  concurrency: 1,
  timeout: '2m',
};

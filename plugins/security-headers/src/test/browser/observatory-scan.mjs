// Scans a loopback Gatehouse with the MDN HTTP Observatory's own retriever, tests and grader, and
// prints the result as one JSON line.
// Usage: node observatory-scan.mjs <hostname> <http port> <https port>
//
// The package's CLI (mdn-http-observatory-scan) takes a bare hostname and always scans ports 80
// and 443; its retriever takes ports as options, so this script calls the retriever with them and
// then runs exactly the scoring loop of src/scanner/index.js (same tests, same grader, same
// extra-credit rule). Run with NODE_EXTRA_CA_CERTS pointing at the test CA so the certificate
// verifies: the HSTS and redirection checks require a verified chain.
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const [hostname, httpPort, httpsPort] = process.argv.slice(2);
if (!hostname || !httpPort || !httpsPort || !['localhost', '127.0.0.1'].includes(hostname)) {
  console.error('usage: node observatory-scan.mjs localhost <http port> <https port>');
  process.exit(2);
}
const packageDir = dirname(createRequire(import.meta.url).resolve('@mdn/mdn-http-observatory/package.json'));
// The HSTS preload list is downloaded by the package's postinstall, which cannot run offline
// (npm ci --ignore-scripts). A loopback name is in no preload list, so an empty list is exact here.
const preload = join(packageDir, 'conf', 'hsts-preload.json');
if (!existsSync(preload))
  writeFileSync(preload, '{}');

const { retrieve } = await import(join(packageDir, 'src/retriever/retriever.js'));
const { ALL_TESTS, NUM_TESTS } = await import(join(packageDir, 'src/constants.js'));
const { MINIMUM_SCORE_FOR_EXTRA_CREDIT } = await import(join(packageDir, 'src/grader/charts.js'));
const { getGradeForScore, getScoreModifier } = await import(join(packageDir, 'src/grader/grader.js'));

const r = await retrieve(hostname, { httpPort: Number(httpPort), httpsPort: Number(httpsPort) });
if (!r.responses.auto) {
  console.log(JSON.stringify({ error: 'The site seems to be down.' }));
  process.exit(1);
}
const results = ALL_TESTS.map(test => test(r));
let testsPassed = 0;
let scoreWithExtraCredit = 100;
let uncurvedScore = 100;
const tests = {};
for (const result of results) {
  if (result.result) {
    result.scoreModifier = getScoreModifier(result.result);
    testsPassed += result.pass ? 1 : 0;
    scoreWithExtraCredit += result.scoreModifier;
    if (result.scoreModifier < 0)
      uncurvedScore += result.scoreModifier;
  }
  tests[result.constructor.name] = { result: result.result, pass: result.pass, scoreModifier: result.scoreModifier };
}
const score = uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
const final = getGradeForScore(score);
console.log(JSON.stringify({
  grade: final.grade, score: final.score, testsPassed, testsQuantity: NUM_TESTS,
  statusCode: r.responses.auto.status, verified: r.responses.auto.verified, url: r.session?.url?.href, tests }));

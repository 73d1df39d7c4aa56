// Writes ranges.json beside this file: what npm's own `semver` package (node-semver) says
// about a sample of ranges — is each one a valid range, what does it desugar to, and which of
// a fixed list of versions satisfy it. tests/unit/test_npm_ranges.py compares our range
// parser and matcher to that record case by case; CI needs only the JSON, never node.
//
// To rerun (node 20 or later), install semver into a scratch folder outside the repository
// and run this script from that folder, so that `semver` resolves there:
//
//   mkdir -p /tmp/npm-semver && cd /tmp/npm-semver
//   npm install --no-save semver@7.8.6
//   node /path/to/repo/tests/unit/npm_semver/generate.mjs
//
// The ranges below are the cases our parser is checked on: every operator over a grid of
// partial versions (wildcards, prereleases, build metadata, a leading v), hyphen ranges over
// a grid of both sides, `||` and multi-comparator sets, and odd or invalid input. Add a case
// here, rerun, and commit both files.
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import path from 'node:path'

const require = createRequire(path.join(process.cwd(), 'package.json'))
const semver = require('semver')
const semverVersion = require('semver/package.json').version

const operators = ['', '=', '>', '>=', '<', '<=', '~', '~>', '^']
const partials = [
  // plain and partial versions
  '0', '1', '2', '0.0', '0.2', '1.2', '2.3', '0.0.0', '0.0.3', '0.2.3', '1.2.3', '2.3.4',
  // wildcards
  'x', 'X', '*', 'x.x', 'x.x.x', '*.*.*', '0.x', '0.0.x', '1.x', '1.X', '1.*', '1.x.x', '1.X.*', '1.2.x', '1.2.*',
  '2.x',
  // prereleases, and a prerelease after a wildcard patch (npm drops it)
  '1.2.3-beta.2', '0.0.3-rc', '2.0.0-rc.1', '1.0.0-0', '1.x.x-rc', '1.2.x-rc.1',
  // a leading v
  'v1.2', 'v1.2.3', 'v1.x',
  // build metadata, on full and on partial versions (npm ignores it)
  '1.2.3+build.5', '1.2.3-rc.1+b.2', '1+b', '1.2+b', '1.x+build.123', '1.2.x+b', '1.x.x+b', '0.0.x+meta', '3.x+b',
  'x+b', '*+b', 'x.x+b', '1.2+b.3',
  // a number after a wildcard
  '1.x.5', '1.*.5', '1.X.1', 'x.1', 'X.1', '*.1', 'x.x.1', 'x.1.x', '1.x.5-rc', '1.x.5+b', 'x.1+b', '0.x.0',
]
const hyphenLows = ['1.2.3', '1.2', '1', '1.x', 'x', '*', '0.0.1', '1.0.0-rc.1', '1.2.3+b', '1.x+b', 'v1.2', '1.x.5',
  'x.1']
const hyphenHighs = ['2.3.4', '2.3', '2', '2.x', '*', '1.0.0', '2.0.0-rc.3', '2.3.4+b', '2.x+b', '2.x.5', 'x.1']
const others = [
  // sets of comparators and alternatives
  '>=1.0 <2', '>=1.0  <2', '>1.2.3 <=2.3.4', '>=0.2.3 <0.3', '<2 >=1.2.3', '>=1.2.3 <1.2.3', '>1 <1.5',
  '^1 || ^3', '1.x || >=2.5.0 || 5.0.0 - 7.2.3', '~1.2.3 || 3.x', '<1 || >=3', '1.2.3 || 2.3.4', '* || 1.2.3',
  '^0.2.3 || ^0.0.3', '1.1.0-rc.1 || <2.0.0', '>=1.x+build <2.x.x+build', '1.x+b || 2.x+c', '^1.x+build',
  '~1.x+meta', '~>1.x+b', '>=1.2.3+b <2.0.0+c', '^1.2.3+b', '~1.2.3+b', '1.2.3-rc.1+b.1 - 2.0.0+c',
  // prereleases in sets
  '>=1.0.0-rc.1', '>=1.0.0-rc.1 <1.0.0', '>1.0.0-rc.1 <1.0.0-rc.5', '>=2.0.0-rc.1 <=2.0.0-rc.3',
  '<=1.0.0-rc.1', '=1.0.0-rc.1', '1.0.0-alpha - 1.0.0-rc.5', '~1.2.3-beta.2', '^1.2.3-beta.2', '^0.0.3-rc',
  '>=1.2.3-beta.2 <1.2.4', '<2.0.0', '<1.2', '<2.0.0-0', '>=1.2.3-0', '^1.2.3-0', '1.2.3-beta.2 || 2.0.0-rc.1',
  // spacing
  '>= 1.2', '~ 1.2', '^ 1.2', '~> 1.2', '< 2', ' 1.2 ', '1.2.3  -  2.3.4', '>=1.0\t<2', '1.x ||  2.x',
  // a number after a wildcard inside larger ranges
  '1.x || x.1', '>=1.x.5 <2', '^1.x.5 || ^2',
  // npm accepts these, loosely
  '', '   ', '||', '1 ||', '|| 1', '1 || || 2', '+b', '1.2.3 +b', '1.x +b', '1.2.3+b+c', '1+b.2+c', '=v1.2.3',
  'v=1.2.3', 'vv1.2.3', '=1.x', '=*', '>=*', '<*', '>*', '<=*',
  // invalid for npm too
  '^', '~', '>=', '1.2.3.4', '1.x.x.x', '>=a', 'latest', 'a || 1', '1 - 2 - 3', '1 -2', '1- 2', '1.2.3 - ',
  '01.2.3', '1.02', '1.2.03', '1.2.3-01', '1.2.3-', '1.2.3+', '1.2.3++', '1.2.3-rc..1', '1.x-rc', '1.2-rc', '1x',
  '1.2.3foo', '>=1.2.3<2', '1.x+', '1.x+b..c', '1.x+_b', '1.2.3+b c', 'V1.2.3', 'v 1.2', '=>1.2', '=<1.2', '<>1',
  '!1.2.3', '1.2.3 && 2', '1.2.3, 2', '9007199254740992.0.0', '1.2.3-beta_2',
]

const ranges = [
  ...operators.flatMap(operator => partials.map(partial => operator + partial)),
  ...hyphenLows.flatMap(low => hyphenHighs.map(high => `${low} - ${high}`)),
  ...others,
]

const versions = [
  ...[0, 1, 2, 3].flatMap(major => [0, 1, 2, 3].flatMap(minor => [0, 1, 2, 3, 4, 5].map(
    patch => `${major}.${minor}.${patch}`))),
  '1.2.10', '1.10.0', '10.0.0', '5.0.0', '7.2.3', '7.2.4',
  '0.0.3-rc', '0.0.3-rc.1', '0.0.4-rc', '1.0.0-0', '1.0.0-alpha', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.5',
  '1.0.0-rc.6', '1.1.0-0', '1.1.0-rc.1', '1.2.0-beta', '1.2.3-0', '1.2.3-alpha', '1.2.3-beta.2', '1.2.3-beta.4',
  '1.2.3-beta.10', '1.2.4-beta.4', '1.3.0-0', '1.5.0-rc.1', '2.0.0-0', '2.0.0-a', '2.0.0-rc.1', '2.0.0-rc.2',
  '2.0.0-rc.3', '2.0.0-rc.4', '2.3.4-rc.1', '3.0.0-0',
  '1.2.3+build.5', '1.2.3+other', '1.2.3-rc.1+b.2', '2.3.4+b',
]

const unique = values => [...new Set(values)]
const cases = unique(ranges).map(range => {
  const normalized = semver.validRange(range)
  const valid = normalized !== null
  return {
    range,
    valid,
    npm: normalized,
    satisfied_by: valid ? versions.filter(version => semver.satisfies(version, range)) : [],
  }
})

const out = new URL('./ranges.json', import.meta.url)
const lines = [
  '{',
  `  "generator": "tests/unit/npm_semver/generate.mjs",`,
  `  "semver": ${JSON.stringify(semverVersion)},`,
  `  "node": ${JSON.stringify(process.version)},`,
  `  "versions": ${JSON.stringify(versions)},`,
  '  "cases": [',
  cases.map(c => '    ' + JSON.stringify(c)).join(',\n'),
  '  ]',
  '}',
  '',
]
writeFileSync(out, lines.join('\n'))
console.log(`${cases.length} ranges × ${versions.length} versions → ${out.pathname}`)

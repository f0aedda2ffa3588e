// Node.js half of `cargo xtask bench expr` (bench tooling, not app code).
//   node expr.js wasm CORPUS MILLIS WASM_GLUE   -> dala-expr compiled to wasm
//   node expr.js peer CORPUS MILLIS NODE_MODULES -> openrosa-xpath-evaluator (Enketo) with jsdom
// Both parse + evaluate the expression on every call and read the result as a string.
// Prints one JSON line: evaluations per second and the result of each expression.
'use strict';
const fs = require('fs');
const path = require('path');

const [mode, corpusPath, millisText, lib] = process.argv.slice(2);
const millis = Number(millisText);
const answers = [];
const expressions = [];
for (const raw of fs.readFileSync(corpusPath, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('@set ')) {
        const [name, ...rest] = line.slice(5).split('=');
        answers.push([name.trim(), rest.join('=').trim()]);
    } else {
        expressions.push(line);
    }
}
// The bench clock: 2015-03-17 10:30 in Bishkek (UTC+06:00).
const NOW_MS = 1426566600000;

function measure(evaluate, list) {
    for (let i = 0; i < list.length * 200; i++) evaluate(list[i % list.length]);
    const started = process.hrtime.bigint();
    const budget = BigInt(millis) * 1000000n;
    let calls = 0;
    let sink = 0;
    while (process.hrtime.bigint() - started < budget) {
        for (let i = 0; i < list.length; i++) sink += evaluate(list[i]).length;
        calls += list.length;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (sink < 0) console.error(sink);
    return calls / seconds;
}

if (mode === 'wasm') {
    const dala = require(path.resolve(lib));
    for (const [name, value] of answers) dala.set_answer(name, value);
    dala.set_clock(NOW_MS, 360);
    const perSecond = measure((e) => dala.evaluate_string(e), expressions);
    console.log(JSON.stringify({ evals_per_s: Math.round(perSecond), results: expressions.map((e) => dala.evaluate_string(e)) }));
} else if (mode === 'peer') {
    const { JSDOM } = require(path.resolve(lib, 'jsdom'));
    const { window } = new JSDOM('');
    global.window = window;
    global.Node = window.Node;
    global.XPathResult = window.XPathResult;
    global.XPathEvaluator = window.XPathEvaluator;
    global.document = window.document;
    const orxe = require(path.resolve(lib, 'openrosa-xpath-evaluator'));
    const evaluator = orxe();
    // The form instance, as Enketo holds it: one element per question.
    const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const xml = '<data>' + answers.map(([n, v]) => `<${n}>${escape(v)}</${n}>`).join('') + '</data>';
    const doc = new window.DOMParser().parseFromString(xml, 'text/xml');
    // ${name} is what pyxform turns into the absolute path /data/name.
    const xpaths = expressions.map((e) => e.replace(/\$\{([^}]+)\}/g, '/data/$1'));
    const evaluate = (e) => {
        try {
            return evaluator.evaluate(e, doc, null, window.XPathResult.STRING_TYPE, null).stringValue;
        } catch (err) {
            return 'error ' + err.message;
        }
    };
    const RealDate = Date;
    // Freeze the clock the same way the wasm run does, for today().
    global.Date = class extends RealDate {
        constructor(...a) { super(...(a.length ? a : [NOW_MS])); }
        static now() { return NOW_MS; }
    };
    const perSecond = measure(evaluate, xpaths);
    console.log(JSON.stringify({ evals_per_s: Math.round(perSecond), results: xpaths.map(evaluate) }));
} else {
    console.error('usage: node expr.js wasm|peer CORPUS MILLIS LIB');
    process.exit(2);
}

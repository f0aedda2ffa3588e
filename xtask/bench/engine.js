// Node.js half of `cargo xtask bench engine` (bench tooling, not app code): the same
// generated forms, as XForms, in ODK Web Forms' engine (@getodk/xforms-engine) with jsdom.
//   node engine.js DIR NAMES NODE_MODULES
// For each form: createInstance time (load), and the time of one setValue on the answered
// question followed by reading the state it changes. Prints one JSON line.
import fs from 'node:fs';
import path from 'node:path';
import { loadOdkEngine } from './odk-engine.js';

const [dir, namesText, modules] = process.argv.slice(2);
const { engine } = await loadOdkEngine(modules, dir);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function findLeaf(node, nodeset, position) {
    // Depth-first through groups and repeat ranges; `position` picks a repeat instance.
    const stack = [node];
    let seen = 0;
    while (stack.length) {
        const n = stack.shift();
        if (n.definition?.nodeset === nodeset) {
            if (position === null || seen === position) return n;
            seen++;
        }
        const children = n.currentState?.children ?? [];
        stack.unshift(...children);
    }
    throw new Error(`no node ${nodeset}[${position}]`);
}

const results = [];
for (const name of namesText.split(',').filter(Boolean)) {
    const xml = fs.readFileSync(path.join(dir, `${name}.xml`), 'utf8');
    const [question, pos] = fs.readFileSync(path.join(dir, `${name}.answer`), 'utf8').trim().split(' ');
    const [nodeset, readNodeset] = fs.readFileSync(path.join(dir, `${name}.nodeset`), 'utf8').trim().split('\n');
    const loads = [];
    let instance;
    for (let i = 0; i < 3; i++) {
        const started = performance.now();
        instance = await engine.createInstance(xml);
        // Reading the tree's state is part of showing the form.
        JSON.stringify(instance.root.currentState.children.length);
        loads.push(performance.now() - started);
    }
    const leaf = findLeaf(instance.root, nodeset, pos === '-' ? null : Number(pos));
    const read = findLeaf(instance.root, readNodeset, null);
    const answers = [];
    for (let i = 0; i < 7; i++) {
        const started = performance.now();
        const value = i % 2 === 0 ? 5 : -1;
        // A text question takes its answer as text.
        leaf.setValue(leaf.valueType === 'string' ? String(value) : value);
        // Read what the answer changes, so lazy computation is counted (a select's options
        // too: the choices its filter keeps).
        JSON.stringify([read.currentState.relevant, read.currentState.value, read.currentState.valueOptions?.length]);
        answers.push(performance.now() - started);
    }
    results.push({ form: name, question, load_ms: median(loads), answer_ms: median(answers) });
}
console.log(JSON.stringify(results));

// Node.js half of `cargo xtask difftest` (tooling, not app code): replays the steps Dala's
// engine played on a form in ODK Web Forms' engine (@getodk/xforms-engine, with jsdom), on
// the XForm pyxform made of the same XLSForm, and writes the state of every node before the
// first step and after each one, named by the same paths, and the submission at the end.
//   node difftest.js DIR NAMES_FILE NODE_MODULES
// For each NAME: reads DIR/NAME.xml and DIR/NAME.trace.json, writes DIR/NAME.odk.json.
import fs from 'node:fs';
import path from 'node:path';
import { loadOdkEngine } from './odk-engine.js';

const [dir, namesFile, modules] = process.argv.slice(2);
const { engine, window } = await loadOdkEngine(modules, dir);

const last = (nodeset) => nodeset.slice(nodeset.lastIndexOf('/') + 1);
const CONTAINERS = new Set(['group', 'repeat-range:controlled', 'repeat-range:uncontrolled']);

// Every node by path, as Dala names them: groups and questions by name from the top, repeat
// instances as name[position]; the instance's own `meta` block is left out.
function walk(root) {
    const nodes = new Map();
    const repeats = new Set();
    const visit = (node, prefix) => {
        for (const child of node.currentState.children ?? []) {
            const name = last(child.definition.nodeset);
            if (prefix === '' && name === 'meta') continue;
            const at = prefix + name;
            if (child.nodeType.startsWith('repeat-range')) {
                nodes.set(at, { node: child, range: true });
                repeats.add(child.definition.nodeset);
                child.currentState.children.forEach((instance, i) => {
                    const p = `${at}[${i + 1}]`;
                    nodes.set(p, { node: instance, container: true });
                    visit(instance, p + '/');
                });
            } else if (CONTAINERS.has(child.nodeType)) {
                nodes.set(at, { node: child, container: true });
                visit(child, at + '/');
            } else {
                nodes.set(at, { node: child });
            }
        }
    };
    visit(root, '');
    return { nodes, repeats };
}

function snapshot(root) {
    const out = {};
    for (const [p, { node, range, container }] of walk(root).nodes) {
        if (range) continue;
        const s = node.currentState;
        if (container) {
            out[p] = { relevant: s.relevant, container: true };
            continue;
        }
        out[p] = {
            relevant: s.relevant,
            required: s.required,
            read_only: s.readonly,
            valid: node.validationState?.constraint?.valid ?? true,
            value: String(s.instanceValue ?? ''),
            type: node.nodeType,
        };
        if (node.definition.bind?.preload) out[p].preload = true;
    }
    return out;
}

function play(root, step) {
    const { nodes } = walk(root);
    const found = nodes.get(step.path);
    if (!found) throw new Error(`no node ${step.path}`);
    const node = found.node;
    if (step.step === 'set') {
        if (node.nodeType === 'select') {
            // A select_one's value is one choice's name, spaces and all.
            const values = step.value.split(' ').filter(Boolean);
            if (node.selectType === 'select1') node.selectValue(step.value === '' ? null : step.value);
            else node.selectValues(values);
        } else if (node.nodeType === 'trigger') {
            node.setValue(step.value !== '');
        } else if (node.nodeType === 'rank') {
            node.setValues(step.value.split(' ').filter(Boolean));
        } else {
            node.setValue(step.value);
        }
    } else if (step.step === 'add') {
        node.addInstances();
    } else if (step.step === 'remove') {
        const m = /^(.*)\[(\d+)\]$/.exec(step.path);
        const range = nodes.get(m[1]).node;
        range.removeInstances(Number(m[2]) - 1, 1);
    }
}

// The submission's values, flattened as Dala flattens a record: groups left out (but two
// answers of one scope that share a name keyed by their group path), repeat instances as
// name[position], `meta` left out.
function submission(instance) {
    const { repeats } = walk(instance.root);
    const xml = instance.root.instanceState.instanceXML;
    let doc = new window.DOMParser().parseFromString(xml, 'text/xml');
    if (doc.getElementsByTagName('parsererror').length > 0) {
        // ODK Web Forms writes attributes such as odk:tag without declaring their prefix;
        // they carry no answer, so they are dropped to read the rest.
        const bare = xml.replace(/\s[\w.-]+:[\w.-]+="[^"]*"/g, '');
        doc = new window.DOMParser().parseFromString(bare, 'text/xml');
    }
    const out = {};
    // One scope (the top, or a repeat instance): its answers and repeats with their group
    // paths; a name shared by two of them is keyed by its path, as Dala keys a record.
    const scope = (element, nodeset, prefix) => {
        const found = [];
        const visit = (element, nodeset, groups) => {
            for (const child of element.children) {
                const name = child.localName;
                const set = `${nodeset}/${name}`;
                // The instance's meta block, and an entity's inside a repeat: pyxform's own.
                if (name === 'meta') continue;
                if (repeats.has(set)) {
                    found.push({ groups, name, repeat: [child, set] });
                } else if (child.children.length > 0) {
                    visit(child, set, [...groups, name]);
                } else {
                    found.push({ groups, name, value: child.textContent });
                }
            }
        };
        visit(element, nodeset, []);
        const count = {};
        for (const { name, repeat } of found) {
            if (!repeat || !count[`r:${name}`]) count[name] = (count[name] ?? 0) + 1;
            if (repeat) count[`r:${name}`] = true;
        }
        const seen = {};
        for (const { groups, name, value, repeat } of found) {
            const key = count[name] > 1 ? [...groups, name].join('/') : name;
            if (repeat) {
                seen[key] = (seen[key] ?? 0) + 1;
                scope(repeat[0], repeat[1], `${prefix}${key}[${seen[key]}]/`);
            } else {
                out[prefix + key] = value;
            }
        }
    };
    const top = doc.documentElement;
    scope(top, `/${top.localName}`, '');
    return out;
}

const names = fs.readFileSync(namesFile, 'utf8').split('\n').filter(Boolean);
for (const name of names) {
    const result = { states: [], errors: [], record: null };
    try {
        const xml = fs.readFileSync(path.join(dir, `${name}.xml`), 'utf8');
        const trace = JSON.parse(fs.readFileSync(path.join(dir, `${name}.trace.json`), 'utf8'));
        const instance = await engine.createInstance(xml);
        result.states.push(snapshot(instance.root));
        trace.steps.forEach((step, i) => {
            try {
                play(instance.root, step);
            } catch (e) {
                result.errors.push({ step: i + 1, error: String(e?.message ?? e).split('\n')[0] });
            }
            result.states.push(snapshot(instance.root));
        });
        result.record = submission(instance);
    } catch (e) {
        result.load_error = String(e?.message ?? e).split('\n')[0];
    }
    fs.writeFileSync(path.join(dir, `${name}.odk.json`), JSON.stringify(result));
}

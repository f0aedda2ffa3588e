// ODK Web Forms' engine (@getodk/xforms-engine) under Node.js, for `bench engine` and
// `difftest` (tooling, not app code): it expects a browser's DOM, which jsdom provides.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/// The engine module and jsdom's window, from the node_modules folder the xtask installed.
export async function loadOdkEngine(modules, dir) {
    const { JSDOM } = await import(pathToFileURL(path.join(modules, 'jsdom/lib/api.js')).href);
    const { window } = new JSDOM('');
    for (const key of ['window', 'document', 'DOMParser', 'Node', 'XMLSerializer', 'XPathResult', 'Element', 'Document', 'NodeFilter', 'XPathEvaluator']) {
        if (!(key in globalThis)) globalThis[key] = window[key] ?? window;
    }
    globalThis.__dirname = dir;
    const engine = await import(pathToFileURL(path.join(modules, '@getodk/xforms-engine/dist/index.js')).href);
    return { engine, window };
}

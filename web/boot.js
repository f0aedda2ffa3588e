// Starts the app. Errors and Content-Security-Policy violations are collected so the browser
// tests can assert there were none. The build rewrites the two file names to hashed ones.
window.__dalaErrors = [];
window.addEventListener('error', (e) => window.__dalaErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__dalaErrors.push(String(e.reason)));
document.addEventListener('securitypolicyviolation', (e) =>
  window.__dalaErrors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
// Two apps: Collect alone (index.html, what a tablet downloads) and the whole app with the
// Design workspace (design.html).
const start = location.pathname.endsWith('/design.html')
  ? () => import('./dala_design.js').then((app) => app.default({ module_or_path: './dala_design_bg.wasm' }))
  : () => import('./dala_web.js').then((app) => app.default({ module_or_path: './dala_web_bg.wasm' }));
start();
// The XLSForm importer: a wasm module of its own, loaded the first time a workbook is imported.
let importer = null;
window.__dalaImporter = () => importer ??= import('./dala_import.js').then(async (module) => {
  await module.default({ module_or_path: './dala_import_bg.wasm' });
  return module;
});
// Media questions' helpers (a photo scaled down before it is stored), loaded the first time a
// form with a media question is opened.
let media = null;
window.__dalaMedia = () => media ??= import('./dala_media.js');

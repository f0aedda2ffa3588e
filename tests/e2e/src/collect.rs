//! Driving the Collect app the way an enumerator does: through its screens, by question name.
//! Browser tests and the web benchmark share these steps.

use crate::webdriver::Browser;
use serde_json::{Value, json};
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(30);

pub struct Collect<'a> {
    pub browser: &'a Browser,
}

/// Answers the question named arguments[0] on screen with arguments[1]: a radio or checkboxes
/// by code (space-separated for several), otherwise the first input typed into.
const ANSWER: &str = r#"
const [name, value] = arguments;
const q = document.querySelector(`.question:not([hidden])[data-name="${name}"]`);
if (!q) return 'no question ' + name + ' on this page';
const radio = q.querySelector(`input[type=radio][value="${value}"]`);
if (radio) { radio.click(); return 'ok'; }
if (q.querySelector('input[type=checkbox]') && q.dataset.type === 'select_multiple') {
  for (const code of value.split(' ')) {
    const box = q.querySelector(`input[type=checkbox][value="${code}"]`);
    if (!box) return 'no choice ' + code;
    box.click();
  }
  return 'ok';
}
const input = q.querySelector('input, textarea');
if (!input) return 'no input for ' + name;
input.focus();
input.value = value;
input.dispatchEvent(new Event('input', { bubbles: true }));
input.dispatchEvent(new Event('change', { bubbles: true }));
return 'ok';
"#;

impl<'a> Collect<'a> {
    pub fn new(browser: &'a Browser) -> Collect<'a> {
        Collect { browser }
    }

    /// Asserts that the page has had no script error and no CSP violation (boot.js collects them).
    pub fn no_errors(&self) {
        assert_eq!(
            self.js("return window.__dalaErrors || []", json!([])),
            json!([])
        );
    }

    pub fn js(&self, script: &str, args: Value) -> Value {
        self.browser
            .execute(script, args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn wait(&self, script: &str) -> Value {
        self.browser
            .wait_for(script, WAIT)
            .unwrap_or_else(|e| panic!("{e}\n{}", self.diagnosis()))
    }

    /// What the page shows, for a failed wait: where it is, whether it loaded, the app's
    /// notice and errors, and the start of its text.
    pub fn diagnosis(&self) -> String {
        const PAGE: &str = "return JSON.stringify({url: location.href, readyState: document.readyState, \
            errors: window.__dalaErrors || [], startUp: window.__dalaStartUp, notice: document.querySelector('.notice-text')?.textContent, \
            text: (document.body?.innerText || '').slice(0, 400)})";
        match self.browser.execute(PAGE, json!([])) {
            Ok(state) => format!("the page: {}", state.as_str().unwrap_or_default()),
            Err(e) => format!("the page cannot be read: {e}"),
        }
    }

    pub fn wait_for_selector(&self, selector: &str) {
        self.wait(&format!(
            "return document.querySelector({}) !== null",
            json!(selector)
        ));
    }

    pub fn click(&self, selector: &str) {
        self.wait_for_selector(selector);
        self.js(
            "document.querySelector(arguments[0]).click()",
            json!([selector]),
        );
    }

    /// Asserts that nothing on the page is wider than the screen (no sideways scrolling).
    pub fn assert_fits_screen(&self) {
        let widths = self.js(
            "const d = document.documentElement; return [d.scrollWidth, d.clientWidth]",
            json!([]),
        );
        assert!(
            widths[0].as_f64() <= widths[1].as_f64(),
            "page and screen: {widths}"
        );
    }

    pub fn text(&self, selector: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null",
            json!([selector]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub fn home(&self, url: &str) {
        self.browser.goto(url).unwrap_or_else(|e| panic!("{e}"));
        self.wait_for_selector("#home[data-ready=\"true\"]");
    }

    pub fn set_interface_language(&self, code: &str) {
        self.js(
            "const s = document.querySelector('.ui-lang'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))",
            json!([code]),
        );
    }

    /// Chooses the form's language in an open interview (its switch in the interview's head).
    pub fn set_form_language(&self, code: &str) {
        self.js(
            "const s = document.querySelector('.form-lang select'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))",
            json!([code]),
        );
    }

    pub fn set_enumerator(&self, name: &str) {
        self.js(
            "const i = document.querySelector('#enumerator'); i.value = arguments[0]; i.dispatchEvent(new Event('input')); document.querySelector('.setup button[type=submit]').click()",
            json!([name]),
        );
        self.wait("return !document.querySelector('.start').disabled");
    }

    /// Imports an instrument file through the home screen's file picker.
    pub fn import(&self, path: &std::path::Path) {
        self.browser
            .type_into(".import input[type=file]", &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts an interview of `form_id` from home; returns its instance id.
    pub fn start(&self, form_id: &str) -> String {
        self.click(&format!("[data-form=\"{form_id}\"] .start"));
        self.wait_for_selector("#interview[data-ready=\"true\"]");
        self.instance_id()
    }

    /// The instance id of the interview on screen (a new one is addressed by it only from
    /// its first answer, so it is read from the screen).
    pub fn instance_id(&self) -> String {
        self.js(
            "return document.querySelector('#interview')?.dataset.instance ?? ''",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The page index shown.
    pub fn page(&self) -> u64 {
        self.js(
            "return Number(document.querySelector('#interview').dataset.page)",
            json!([]),
        )
        .as_u64()
        .unwrap_or(u64::MAX)
    }

    /// The names of the questions on screen, in order.
    pub fn questions(&self) -> Vec<String> {
        let names = self.js(
            "return [...document.querySelectorAll('.question:not([hidden])')].map(q => q.dataset.name)",
            json!([]),
        );
        serde_json::from_value(names).unwrap_or_default()
    }

    pub fn answer(&self, name: &str, value: &str) {
        let result = self.js(ANSWER, json!([name, value]));
        assert_eq!(result, "ok", "answering {name} with {value}");
    }

    /// The message under a question, if one is shown.
    pub fn error(&self, name: &str) -> Option<String> {
        self.js(
            "const e = document.querySelector(`.question:not([hidden])[data-name=\"${arguments[0]}\"] .error`); return e ? e.textContent : null",
            json!([name]),
        )
        .as_str()
        .map(str::to_string)
    }

    pub fn next(&self) {
        let before = self.page();
        self.click(".nav .next");
        self.wait(&format!(
            "return Number(document.querySelector('#interview').dataset.page) !== {before}"
        ));
    }

    pub fn previous(&self) {
        let before = self.page();
        self.click(".nav .prev");
        self.wait(&format!(
            "return Number(document.querySelector('#interview').dataset.page) !== {before}"
        ));
    }

    /// Clicks "Next" on a page with a problem: the screen must stay, the question named
    /// `name` must say what is wrong and hold the focus. Returns its message.
    pub fn next_stops_at(&self, name: &str) -> String {
        let before = self.page();
        self.click(".nav .next");
        self.wait(&format!(
            "const q = document.querySelector('.question[data-name=\"{name}\"]'); \
             return q !== null && q.hasAttribute('data-marked') && q.contains(document.activeElement)"
        ));
        assert_eq!(self.page(), before, "Next stayed on the page");
        self.error(name).unwrap_or_default()
    }

    /// Answers the questions of the current page, then goes to the next one.
    pub fn page_of(&self, answers: &[(&str, &str)]) {
        for (name, value) in answers {
            self.answer(name, value);
        }
        self.next();
    }

    /// Waits until every save started so far has completed (autosave is asynchronous).
    pub fn settle(&self) {
        self.wait("const i = document.querySelector('#interview'); return i && i.dataset.saving === 'false'");
    }
}

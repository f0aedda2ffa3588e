//! `regex()` with bounded patterns and a small per-thread cache, because a form evaluates
//! the same constraint on every keystroke and compiling a pattern costs far more than matching.

use regex_lite::{Regex, RegexBuilder};
use std::cell::RefCell;
use std::collections::HashMap;

/// Compiled size and nesting limits: a hostile pattern fails to compile instead of
/// taking memory or time.
const SIZE_LIMIT: usize = 1 << 20;
const NEST_LIMIT: u32 = 64;
const CACHE_ENTRIES: usize = 64;

thread_local! {
    static CACHE: RefCell<HashMap<String, Result<Regex, String>>> = RefCell::new(HashMap::new());
}

/// True when `pattern` matches anywhere in `text` (JavaRosa's `find()` semantics; forms
/// anchor with `^...$` when they mean the whole value).
pub fn is_match(pattern: &str, text: &str) -> Result<bool, String> {
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
            let compiled = RegexBuilder::new(pattern)
                .size_limit(SIZE_LIMIT)
                .nest_limit(NEST_LIMIT)
                .build()
                .map_err(|e| first_line(&e.to_string()));
            cache.insert(pattern.to_string(), compiled);
        }
        match cache.get(pattern) {
            Some(Ok(re)) => Ok(re.is_match(text)),
            Some(Err(message)) => Err(message.clone()),
            None => Err("regular expression cache failure".to_string()),
        }
    })
}

fn first_line(s: &str) -> String {
    // regex's messages carry a multi-line ASCII drawing; the last line is the reason.
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

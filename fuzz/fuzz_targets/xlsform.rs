//! Any bytes as an XLSForm (as .xlsx, .xls or markdown, by content): reading and converting
//! never panics out of dala-xlsform, and what converts without errors compiles in the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Once;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // dala-xlsform catches panics inside calamine and reports the file as damaged; libFuzzer's
    // own hook would abort on those caught panics, so it is replaced. A panic that escapes
    // dala-xlsform still reaches libFuzzer's unwind check and is reported as a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let conversion = dala_xlsform::read(data, "fuzz");
    if !conversion.has_errors()
        && let Some(instrument) = &conversion.instrument
    {
        assert!(dala_core::Form::compile(instrument).is_ok());
    }
});

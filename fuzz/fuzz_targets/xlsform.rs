//! Any bytes as an XLSForm (as .xlsx, .xls or markdown, by content): reading and converting
//! never panics, and what converts without errors compiles in the engine.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let conversion = dala_xlsform::read(data, "fuzz");
    if !conversion.has_errors()
        && let Some(instrument) = &conversion.instrument
    {
        assert!(dala_core::Form::compile(instrument).is_ok());
    }
});

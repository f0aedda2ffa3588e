//! The reader, one case at a time: formats, aliases, languages, typed cells, hostile files.

use dala_core::Host;
use dala_expr::date::DateTime;

pub struct TestHost;

impl Host for TestHost {
    fn now(&self) -> DateTime {
        DateTime {
            epoch_ms: 1_426_566_600_000,
            offset_minutes: 360,
        }
    }
    fn random(&self) -> f64 {
        0.25
    }
    fn device_id(&self) -> String {
        "test".into()
    }
}

pub fn host() -> Box<dyn Host> {
    Box::new(TestHost)
}

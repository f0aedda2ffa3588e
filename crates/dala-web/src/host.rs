//! The browser as dala-core's [`Host`]: the device clock with its UTC offset, the browser's
//! random numbers, and the device id this app generated once.

use dala_core::Host;
use dala_expr::date::DateTime;

pub struct BrowserHost {
    pub device_id: String,
}

impl Host for BrowserHost {
    fn now(&self) -> DateTime {
        let date = js_sys::Date::new_0();
        DateTime {
            epoch_ms: date.get_time() as i64,
            // getTimezoneOffset is UTC minus local, in minutes.
            offset_minutes: -(date.get_timezone_offset() as i32),
        }
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn device_id(&self) -> String {
        self.device_id.clone()
    }
}

/// The current time as a record writes it.
pub fn now_text() -> String {
    dala_expr::Value::DateTime(
        BrowserHost {
            device_id: String::new(),
        }
        .now(),
    )
    .to_xpath_string()
}

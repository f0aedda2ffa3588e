//! The browser as dala-core's [`Host`]: the device clock with its UTC offset, the browser's
//! random numbers, the device id this app generated once, and the latest position fix.

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

    fn location(&self) -> Option<String> {
        LAST_FIX.with(|fix| fix.borrow().clone())
    }
}

thread_local! {
    /// The device's latest position, kept while an interview follows it
    /// ([`crate::browser::watch_location`]).
    static LAST_FIX: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Forgets the position when the interview that followed it closes: the next interview must
/// not take a fix from another place and time.
pub fn forget_fix() {
    LAST_FIX.with(|fix| *fix.borrow_mut() = None);
}

/// Keeps the device's latest position for the questions that take it.
pub fn remember_fix(geopoint: String) {
    LAST_FIX.with(|fix| *fix.borrow_mut() = Some(geopoint));
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

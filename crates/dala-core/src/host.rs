//! What the core needs from the device, injected so tests are deterministic.

use dala_expr::date::DateTime;

pub trait Host {
    /// The current time and the device's UTC offset.
    fn now(&self) -> DateTime;
    /// A number in `[0, 1)`.
    fn random(&self) -> f64;
    /// A fresh version 4 UUID.
    fn uuid(&self) -> String {
        dala_expr::uuid_from(|| self.random())
    }
    /// A stable identifier of this device.
    fn device_id(&self) -> String;
    /// The device's latest location as a geopoint (`lat lon altitude accuracy`), if it has
    /// one: what `start-geopoint` and `background-geopoint` questions take. None by default:
    /// a host without a location sensor leaves them empty.
    fn location(&self) -> Option<String> {
        None
    }
}

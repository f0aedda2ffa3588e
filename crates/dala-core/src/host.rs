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
}

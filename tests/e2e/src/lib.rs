//! What the browser tests and `cargo xtask serve` share: a static file server for dist/ and a
//! WebDriver client for chromedriver. Both speak plain HTTP/1.1 on 127.0.0.1 only.

pub mod server;
pub mod webdriver;
pub mod collect;

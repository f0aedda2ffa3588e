//! The server's tests, on a real SQLite file and a real PostgreSQL server (see
//! `dala_e2e::postgres`): the store's rules once for both, then the API over HTTP.

mod api;
mod export;
mod faults;
mod form_files;
mod fuzz;
mod harness;
mod openapi;
mod sessions;
mod store;
mod team;

//! `dala`: the command line of the Dala survey kit.

mod commands;
mod data;
mod eval;
mod form;
mod preview;
mod pull;
mod server;
mod trace;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dala",
    version,
    about = "Dala survey kit: instruments, expressions, data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate an XLSForm expression and print its value as XPath's string() of it.
    Eval(eval::EvalArgs),
    /// Check forms (.xlsx, .xls, markdown or .json) and print every problem with its location.
    Validate(commands::ValidateArgs),
    /// Convert a form to an instrument document (.json) or an XLSForm (.xlsx).
    Convert(commands::ConvertArgs),
    /// Print a readable outline of a form: settings, languages, questions and their logic.
    Show(commands::ShowArgs),
    /// Run a form in the terminal, one question at a time.
    Preview(preview::PreviewArgs),
    /// Write plausible submissions of a form to a bundle, through the form's own logic.
    Simulate(data::SimulateArgs),
    /// Play seeded answers through a form and print every question's state after each step.
    Trace(trace::TraceArgs),
    /// Export bundles as wide CSV (ODK Central layout), one file per repeat.
    Export(data::ExportArgs),
    /// Tables of bundles or of a wide CSV export (by a plan, or every select and number).
    Aggregate(data::AggregateArgs),
    /// Serve the app and the API on one port, over SQLite (the default) or PostgreSQL.
    Serve(server::ServeArgs),
    /// Bootstrap a server's database: users and projects.
    Admin(server::AdminArgs),
    /// Sign in to a server and keep the token for the other commands.
    Login(server::LoginArgs),
    /// Publish an instrument (.json or XLSForm) to a project on a server.
    Publish(server::PublishArgs),
    /// Send bundles of records to a project on a server.
    Push(server::PushArgs),
    /// Set the review state of a record on a server.
    Review(server::ReviewArgs),
    /// A form's records from a server as the wide export's .zip (only what changed since
    /// the last pull, unless --all or --since).
    Pull(pull::PullArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Validate(args) => commands::validate(args),
        Command::Convert(args) => commands::convert(args),
        Command::Show(args) => commands::show(args),
        Command::Preview(args) => preview::preview(args),
        Command::Simulate(args) => data::simulate_command(args),
        Command::Trace(args) => trace::run(args),
        Command::Export(args) => data::export_command(args),
        Command::Aggregate(args) => data::aggregate_command(args),
        Command::Serve(args) => server::serve(args),
        Command::Admin(args) => server::admin(args),
        Command::Login(args) => server::login(args),
        Command::Publish(args) => server::publish(args),
        Command::Push(args) => server::push(args),
        Command::Review(args) => server::review(args),
        Command::Pull(args) => pull::pull(args),
    }
}

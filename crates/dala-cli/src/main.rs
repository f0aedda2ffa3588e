//! `dala`: the command line of the Dala survey kit.

mod commands;
mod data;
mod eval;
mod form;
mod preview;

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
    /// Export bundles as wide CSV (ODK Central layout), one file per repeat.
    Export(data::ExportArgs),
    /// Tables of bundles or of a wide CSV export (by a plan, or every select and number).
    Aggregate(data::AggregateArgs),
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
        Command::Export(args) => data::export_command(args),
        Command::Aggregate(args) => data::aggregate_command(args),
    }
}

//! `dala`: the command line of the Dala survey kit.

mod commands;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Validate(args) => commands::validate(args),
        Command::Convert(args) => commands::convert(args),
        Command::Show(args) => commands::show(args),
        Command::Preview(args) => preview::preview(args),
    }
}

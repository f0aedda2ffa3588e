//! `dala preview FORM`: run a form in the terminal, one question at a time, with relevance,
//! constraints and calculations working, so a designer can test the logic without a browser.
//!
//! At a prompt: an answer (for selects, choice numbers or codes), an empty line to leave it,
//! `<` to go back a page, `q` to stop. After the last page the form is finalized, or the
//! problems that block it are listed and the interview goes back to the first of them.

use crate::form::load;
use clap::Args;
use dala_core::{Engine, Host, ItemType, NodeRef, ProblemKind};
use dala_expr::date::DateTime;
use std::cell::Cell;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct PreviewArgs {
    pub form: PathBuf,
    /// Language of the labels (default: the form's default language).
    #[arg(long)]
    pub lang: Option<String>,
}

/// The terminal's host: the system clock (UTC), a seeded random source, a fixed device id.
struct TerminalHost {
    state: Cell<u64>,
}

impl Host for TerminalHost {
    fn now(&self) -> DateTime {
        crate::form::system_now(0)
    }
    fn random(&self) -> f64 {
        let mut x = self.state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
    fn device_id(&self) -> String {
        "dala-preview".into()
    }
}

pub fn preview(args: PreviewArgs) -> ExitCode {
    let loaded = load(&args.form);
    for message in &loaded.messages {
        eprintln!("{message}");
    }
    let Some(instrument) = loaded.instrument.clone().filter(|_| loaded.errors == 0) else {
        eprintln!("error: fix the errors above before previewing");
        return ExitCode::FAILURE;
    };
    let Some(form) = loaded.compile(&instrument) else {
        return ExitCode::FAILURE;
    };
    let language = args
        .lang
        .or_else(|| form.default_language().map(str::to_string))
        .unwrap_or_else(|| "default".into());
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut engine = Engine::new(
        form,
        Box::new(TerminalHost {
            state: Cell::new(seed),
        }),
    );
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut out = std::io::stdout();
    let mut page = 0usize;
    loop {
        let pages = engine.pages();
        if page >= pages.len() {
            match engine.finalize(&language) {
                Ok(record) => {
                    let _ = writeln!(
                        out,
                        "\nFinalized. The record:\n{}",
                        serde_json::to_string_pretty(&record).unwrap_or_default()
                    );
                    return ExitCode::SUCCESS;
                }
                Err(problems) => {
                    let _ = writeln!(out, "\nThese block finalizing:");
                    for p in &problems {
                        let _ = writeln!(
                            out,
                            "  page {}: {}: {}",
                            p.page + 1,
                            engine.label(&p.node, &language),
                            problem_words(p.message.as_deref(), p.kind)
                        );
                    }
                    page = problems[0].page;
                    continue;
                }
            }
        }
        let _ = writeln!(out, "\n[page {} of {}]", page + 1, pages.len());
        let mut next = page + 1;
        for node in &pages[page].nodes {
            match ask(&mut engine, node, &language, &mut lines, &mut out) {
                Step::Next => {}
                Step::Back => {
                    next = page.saturating_sub(1);
                    break;
                }
                Step::Quit => {
                    let _ = writeln!(out, "Stopped before finalizing.");
                    return ExitCode::SUCCESS;
                }
            }
        }
        page = next;
    }
}

enum Step {
    Next,
    Back,
    Quit,
}

fn ask(
    engine: &mut Engine,
    node: &NodeRef,
    language: &str,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    out: &mut impl Write,
) -> Step {
    let item_type = engine.form().item(node.item).item.item_type;
    let label = engine.label(node, language);
    if item_type == ItemType::Note {
        let _ = writeln!(out, "{label}");
        return Step::Next;
    }
    loop {
        let mark = if engine.required(node) { " *" } else { "" };
        let _ = writeln!(out, "{label}{mark}");
        let hint = engine.hint(node, language);
        if !hint.is_empty() {
            let _ = writeln!(out, "  ({hint})");
        }
        let choices: Vec<(String, String)> = engine
            .choices(node)
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.label
                        .get(language, engine.form().default_language())
                        .unwrap_or(&c.name)
                        .to_string(),
                )
            })
            .collect();
        for (i, (_, text)) in choices.iter().enumerate() {
            let _ = writeln!(out, "  {}) {text}", i + 1);
        }
        let current = engine.value(node);
        let _ = write!(
            out,
            "{}> ",
            if current.is_empty() {
                String::new()
            } else {
                format!("[{current}] ")
            }
        );
        let _ = out.flush();
        let Some(Ok(line)) = lines.next() else {
            return Step::Quit;
        };
        let line = line.trim();
        match line {
            "q" => return Step::Quit,
            "<" => return Step::Back,
            "" => return Step::Next,
            _ => {}
        }
        // Choice numbers stand for their codes.
        let value = if choices.is_empty() {
            line.to_string()
        } else {
            line.split_whitespace()
                .map(|w| {
                    w.parse::<usize>()
                        .ok()
                        .and_then(|n| choices.get(n.wrapping_sub(1)))
                        .map_or(w.to_string(), |c| c.0.clone())
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        match engine.answer(node, &value) {
            Err(e) => {
                let _ = writeln!(out, "  ! {}", dala_words::answer_error(&e));
            }
            Ok(_) if engine.constraint_violated(node) => {
                let message = engine.problem_message(node, ProblemKind::Constraint, language);
                let _ = writeln!(
                    out,
                    "  ! {}",
                    problem_words(message.as_deref(), ProblemKind::Constraint)
                );
            }
            Ok(_) => return Step::Next,
        }
    }
}

/// The designer's message for a problem, or the command line's own words for its kind.
fn problem_words(message: Option<&str>, kind: ProblemKind) -> &str {
    message.unwrap_or(match kind {
        ProblemKind::Required => "This question requires an answer.",
        ProblemKind::Constraint => "This answer is not allowed.",
    })
}

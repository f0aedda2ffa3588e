//! `dala trace`: seeded steps played through a form, with every node's state after each step
//! (JSON), for trying a form's logic and for comparing engines (`cargo xtask difftest`).

use crate::form::load;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct TraceArgs {
    /// Forms (.xlsx, .xls, markdown or .json).
    #[arg(required = true)]
    pub forms: Vec<PathBuf>,
    /// Steps per form.
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write FORM.trace.json for each form into this folder instead of printing one form's
    /// trace; a form that does not load is reported and the others go on.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: TraceArgs) -> ExitCode {
    if args.out.is_none() && args.forms.len() > 1 {
        eprintln!("error: several forms need --out DIR");
        return ExitCode::FAILURE;
    }
    let mut failed = 0;
    for path in &args.forms {
        match trace_json(path, args.steps, args.seed) {
            Ok(json) => match &args.out {
                None => println!("{json}"),
                Some(dir) => {
                    let stem = path.file_name().and_then(|s| s.to_str()).unwrap_or("form");
                    let target = dir.join(format!("{stem}.trace.json"));
                    if let Err(e) = std::fs::write(&target, json) {
                        eprintln!("error: cannot write {}: {e}", target.display());
                        return ExitCode::FAILURE;
                    }
                }
            },
            Err(why) => {
                eprintln!("{}: {why}", path.display());
                failed += 1;
            }
        }
    }
    if failed == args.forms.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn trace_json(path: &Path, steps: usize, seed: u64) -> Result<String, String> {
    let loaded = load(path);
    let instrument = match &loaded.instrument {
        Some(instrument) if loaded.errors == 0 => instrument,
        _ => return Err(format!("does not load ({} error(s))", loaded.errors.max(1))),
    };
    let form = loaded
        .compile(instrument)
        .ok_or_else(|| "does not compile".to_string())?;
    let trace = dala_aggregate::trace::trace(&form, steps, seed);
    serde_json::to_string(&trace).map_err(|e| e.to_string())
}

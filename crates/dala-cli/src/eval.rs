//! `dala eval 'EXPR' [--set name=value]...`: try an expression the way a form would run it.

use clap::Args;
use dala_expr::date::{self, DateTime};
use dala_expr::{SimpleEnv, Value, evaluate, parse};
use std::process::ExitCode;

#[derive(Args)]
pub struct EvalArgs {
    /// The expression, as written in a relevant, constraint or calculation column.
    #[arg(allow_hyphen_values = true)]
    pub expression: String,

    /// An answer as a form stores it: `age=34`, `roles=officer driver` (select_multiple:
    /// space-separated codes), `dob=1990-06-15`. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,

    /// The value of `.` (the question the expression belongs to).
    #[arg(long, value_name = "VALUE")]
    pub current: Option<String>,

    /// The clock for today() and now(), e.g. 2015-03-17T10:30:00+06:00 (default: the system clock).
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,

    /// The device's offset from UTC for today() and now(), e.g. +06:00 (default: +00:00,
    /// or the offset written in --now).
    #[arg(long, value_name = "±HH:MM", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,

    /// Seed for random() and uuid().
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: EvalArgs) -> ExitCode {
    match eval(&args) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn eval(args: &EvalArgs) -> Result<String, String> {
    let offset = match &args.utc_offset {
        Some(text) => {
            parse_offset(text).ok_or(format!("error: --utc-offset `{text}` is not ±HH:MM"))?
        }
        None => 0,
    };
    let now = match &args.now {
        Some(text) => {
            let instant = date::parse_date_time(text, offset).ok_or(format!(
                "error: --now `{text}` is not a dateTime (YYYY-MM-DDTHH:MM:SS±HH:MM)"
            ))?;
            // An explicit --utc-offset is the device's zone; otherwise the zone written in --now.
            match args.utc_offset {
                Some(_) => DateTime {
                    offset_minutes: offset,
                    ..instant
                },
                None => instant,
            }
        }
        None => crate::form::system_now(offset),
    };
    let mut env = SimpleEnv::new(now, args.seed);
    for binding in &args.set {
        let (name, value) = binding
            .split_once('=')
            .ok_or(format!("error: --set `{binding}` is not NAME=VALUE"))?;
        let name = name.trim();
        if !dala_expr::is_ncname(name) {
            return Err(format!(
                "error: --set `{name}` is not a valid question name"
            ));
        }
        env.set(name, value);
    }
    if let Some(current) = &args.current {
        env.current = Value::from(current.as_str());
    }
    let source = &args.expression;
    let parsed = parse(source);
    if !parsed.is_ok() {
        let rendered: Vec<String> = parsed
            .diagnostics
            .iter()
            .map(|d| dala_words::render_expression(d, source))
            .collect();
        return Err(rendered.join("\n"));
    }
    evaluate(&parsed.expr, &env)
        .map(|v| v.to_xpath_string())
        .map_err(|d| dala_words::render_expression(&d, source))
}

fn parse_offset(text: &str) -> Option<i32> {
    // Reuse the time parser's offset rules: a time of midnight with the offset attached.
    match date::parse_time(&format!("00:00{text}")) {
        Some((_, Some(offset))) => Some(offset),
        _ => None,
    }
}

//! The `dala` binary, run as a designer runs it.

use std::process::{Command, Output};

fn dala(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dala"))
        .args(args)
        .output()
        .expect("run dala")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn eval_prints_xpath_string_values() {
    for (expr, want) in [
        ("1 + 2", "3"),
        ("7 div 2", "3.5"),
        ("0 div 0", "NaN"),
        ("1 div 0", "Infinity"),
        ("1 = 1", "true"),
        ("date('2015-03-17')", "2015-03-17"),
        ("concat('a', 'b')", "ab"),
    ] {
        let out = dala(&["eval", expr]);
        assert!(out.status.success(), "{expr}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("{want}\n"), "{expr}");
    }
}

#[test]
fn eval_takes_answers_as_a_form_stores_them() {
    let out = dala(&[
        "eval",
        "${age} >= 18 and selected(${roles}, 'officer')",
        "--set",
        "age=34",
        "--set",
        "roles=officer driver",
    ]);
    assert_eq!(stdout(&out), "true\n");
    let out = dala(&["eval", "date(${visit} + 7)", "--set", "visit=2015-03-17"]);
    assert_eq!(stdout(&out), "2015-03-24\n");
    let out = dala(&["eval", "${q} + 1", "--set", "q="]);
    assert_eq!(
        stdout(&out),
        "NaN\n",
        "an unanswered question is the empty string"
    );
}

#[test]
fn eval_reads_the_clock_it_is_given() {
    let out = dala(&["eval", "today()", "--now", "2015-03-17T23:30:00+06:00"]);
    assert_eq!(stdout(&out), "2015-03-17\n");
    let out = dala(&[
        "eval",
        "today()",
        "--now",
        "2015-03-17T20:30:00Z",
        "--utc-offset",
        "+06:00",
    ]);
    assert_eq!(
        stdout(&out),
        "2015-03-18\n",
        "20:30 UTC is 02:30 the next day in Bishkek"
    );
}

#[test]
fn a_diagnostic_prints_code_message_and_caret_and_exits_1() {
    let out = dala(&["eval", "1 + foo(2)"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error[E005]: there is no function `foo`\n  | 1 + foo(2)\n  |     ^^^\n"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn an_evaluation_error_exits_1_with_its_code() {
    let out = dala(&["eval", "date('2015-02-30')"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error[R002]"), "{}", stderr(&out));
}

#[test]
fn bad_flags_follow_clap_conventions() {
    let out = dala(&["eval", "1", "--set", "noequals"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("NAME=VALUE"));
    let out = dala(&["eval"]);
    assert_eq!(out.status.code(), Some(2), "clap exits 2 on a usage error");
    let out = dala(&["--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("eval"));
}

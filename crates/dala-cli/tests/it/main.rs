//! The `dala` binary, run as a designer runs it.

mod server;

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

fn temp(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dala-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

const FORM_MD: &str = "| survey |  |  |  |  |
|  | type | name | label | constraint |
|  | integer | age | Age | . >= 18 |
|  | select_one yn | ok | OK? |  |
|  | note | bye | Age was ${age} |  |
| choices |  |  |  |
|  | list_name | name | label |
|  | yn | yes | Yes |
|  | yn | no | No |
";

fn seed(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../surveys")
        .join(name)
}

#[test]
fn validate_reports_ok_files_and_exits_0() {
    let out = dala(&[
        "validate",
        seed("police-gender-representation/instrument.xlsx")
            .to_str()
            .expect("path"),
        seed("fast-family-outcomes/instrument.json")
            .to_str()
            .expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn validate_prints_each_problem_at_its_cell_and_exits_1() {
    let bad = FORM_MD.replace(". >= 18", "${nothere} >= 18");
    let path = temp("bad.md", bad.as_bytes());
    let out = dala(&["validate", path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("error[V004]") && err.contains("survey!D2 (constraint)"),
        "{err}"
    );
    assert!(
        err.contains("  | ${nothere} >= 18\n  | ^^^^^^^^^^"),
        "{err}"
    );

    let json = temp("bad.json", br#"{"format": 1, "settings": {"form_id": "x", "version": "1"}, "survey": [{"type": "integer", "name": "a"}, {"type": "text", "name": "b", "label": {"default": "B"}, "relevant": "${a} >"}]}"#);
    let out = dala(&["validate", json.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error[V013]") && stderr(&out).contains("/survey/0/label"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("error[V003]") && stderr(&out).contains("/survey/1/relevant"),
        "{}",
        stderr(&out)
    );

    let broken = temp("broken.json", b"{\"format\": 1,\n \"settings\": }");
    let out = dala(&["validate", broken.to_str().expect("path")]);
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
    assert_eq!(dala(&["validate"]).status.code(), Some(2), "a usage error");
}

#[test]
fn convert_writes_json_and_xlsx_that_read_back_the_same() {
    let md = temp("form.md", FORM_MD.as_bytes());
    let json = md.with_file_name("form.json");
    let xlsx = md.with_file_name("form.xlsx");
    let again = md.with_file_name("again.json");
    assert!(
        dala(&[
            "convert",
            md.to_str().expect("p"),
            "-o",
            json.to_str().expect("p")
        ])
        .status
        .success()
    );
    assert!(
        dala(&[
            "convert",
            json.to_str().expect("p"),
            "-o",
            xlsx.to_str().expect("p")
        ])
        .status
        .success()
    );
    assert!(
        dala(&[
            "convert",
            xlsx.to_str().expect("p"),
            "-o",
            again.to_str().expect("p")
        ])
        .status
        .success()
    );
    let first: dala_core::Instrument =
        dala_core::Instrument::from_json(&std::fs::read_to_string(&json).expect("json"))
            .expect("reads");
    let second = dala_core::Instrument::from_json(&std::fs::read_to_string(&again).expect("json"))
        .expect("reads");
    assert_eq!(first.survey, second.survey);
    assert_eq!(first.choices, second.choices);
    let out = dala(&[
        "convert",
        md.to_str().expect("p"),
        "-o",
        md.with_file_name("x.txt").to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn show_outlines_questions_and_logic_in_a_language() {
    let out = dala(&[
        "show",
        seed("police-gender-representation/instrument.json")
            .to_str()
            .expect("p"),
        "--lang",
        "ru",
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("Роль и представленность женщин в органах внутренних дел (police_gender_representation version 2015030101)"), "{text}");
    assert!(
        text.contains("district [select_one district] Районный или городской отдел\n"),
        "{text}"
    );
    assert!(
        text.contains("    choice_filter: region = ${region}\n"),
        "{text}"
    );
}

#[test]
fn preview_runs_the_form_with_its_logic() {
    let md = temp("preview.md", FORM_MD.as_bytes());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dala"))
        .args(["preview", md.to_str().expect("p")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("stdin");
        // 12 breaks the constraint; 30 passes; choice 1 is `yes`; the note shows the answer.
        stdin.write_all(b"12\n30\n1\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("! This answer is not allowed."), "{text}");
    assert!(text.contains("Age was 30"), "{text}");
    assert!(text.contains("\"ok\": \"yes\""), "{text}");
    assert!(text.contains("\"status\": \"finalized\""), "{text}");
}

#[test]
fn simulate_export_and_aggregate_a_seed_form() {
    let form = seed("fast-family-outcomes/instrument.json");
    let dir = std::env::temp_dir().join(format!("dala-cli-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bundle = dir.join("fast.jsonl");
    let out = dala(&[
        "simulate",
        form.to_str().expect("p"),
        "-n",
        "12",
        "--seed",
        "5",
        "-o",
        bundle.to_str().expect("p"),
        "--waves",
        "pre,post",
        "--pair-by",
        "family_id",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&bundle)
            .expect("bundle")
            .lines()
            .count(),
        1 + 24
    );

    let csv_dir = dir.join("csv");
    let out = dala(&[
        "export",
        form.to_str().expect("p"),
        bundle.to_str().expect("p"),
        bundle.to_str().expect("p"),
        "-o",
        csv_dir.to_str().expect("p"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("24 records (24 duplicates dropped"),
        "{}",
        stderr(&out)
    );
    let main = std::fs::read_to_string(csv_dir.join("fast_family_outcomes.csv")).expect("main csv");
    assert_eq!(main.lines().count(), 25);
    assert!(main.starts_with("SubmissionDate,family_id,school,wave,"));
    assert!(csv_dir.join("fast_family_outcomes-member.csv").exists());

    let zip = dir.join("export.zip");
    assert!(
        dala(&[
            "export",
            form.to_str().expect("p"),
            bundle.to_str().expect("p"),
            "-o",
            zip.to_str().expect("p"),
            "--labels",
            "ru"
        ])
        .status
        .success()
    );
    assert!(std::fs::read(&zip).expect("zip").starts_with(b"PK\x03\x04"));

    let out = dala(&[
        "aggregate",
        form.to_str().expect("p"),
        bundle.to_str().expect("p"),
        "--by",
        "wave",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("frequency:school [wave=pre]"), "{text}");
    assert!(
        text.contains("summary:sessions_attended [wave=post]\n  n=12"),
        "{text}"
    );
    // The exported wide CSV aggregates to the same tables as the bundle.
    let main_csv = csv_dir.join("fast_family_outcomes.csv");
    let from_csv = dala(&[
        "aggregate",
        form.to_str().expect("p"),
        main_csv.to_str().expect("p"),
        "--by",
        "wave",
    ]);
    assert!(from_csv.status.success(), "{}", stderr(&from_csv));
    assert_eq!(stdout(&from_csv), text);
    assert!(
        stderr(&from_csv).contains("24 rows"),
        "{}",
        stderr(&from_csv)
    );
    let tidy = dir.join("tables.csv");
    assert!(
        dala(&[
            "aggregate",
            form.to_str().expect("p"),
            bundle.to_str().expect("p"),
            "-o",
            tidy.to_str().expect("p")
        ])
        .status
        .success()
    );
    assert!(
        std::fs::read_to_string(&tidy)
            .expect("tidy")
            .starts_with("table,variable,group,category,statistic,value\n")
    );
}

/// `dala trace` plays seeded steps through the police survey: the same seed gives the same
/// steps, every step is followed by a state, and each state names the questions by path.
#[test]
fn trace_plays_seeded_steps_and_prints_every_state() {
    let form = seed("police-gender-representation").join("instrument.json");
    let form = form.to_str().expect("path");
    let run = |seed: &str| {
        let out = dala(&["trace", form, "--steps", "20", "--seed", seed]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).expect("json")
    };
    let (a, b, c) = (run("7"), run("7"), run("8"));
    assert_eq!(a, b, "the same seed plays the same steps");
    assert_ne!(a["steps"], c["steps"]);
    let steps = a["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 20);
    assert_eq!(a["states"].as_array().expect("states").len(), 21);
    // Consent is asked first; the main block waits for it.
    assert_eq!(a["states"][0]["consent"]["relevant"], true);
    assert_eq!(a["states"][0]["main"]["relevant"], false);
    let two = dala(&["trace", form, form]);
    assert!(!two.status.success());
    assert!(stderr(&two).contains("--out"), "{}", stderr(&two));
}

/// Form attachments (issue 19): a workbook and the CSV it selects from, side by side, as a
/// designer keeps them. `convert` writes the instrument and its media folder (ODK's
/// `FORM-media` layout); the instrument then validates and plays with its list; without its
/// media folder it says which file is missing.
#[test]
fn a_form_and_its_attached_list_travel_together() {
    let dir = std::env::temp_dir().join(format!("dala-cli-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).expect("scratch");
    std::fs::write(
        dir.join("visit.md"),
        "| survey |                                  |          |          |                                                    |
         |        | type                             | name     | label    | calculation                                        |
         |        | select_one_from_file schools.csv | school   | School   |                                                    |
         |        | calculate                        | director |          | pulldata('schools', 'director', 'name', ${school}) |",
    )
    .expect("form");
    std::fs::write(
        dir.join("schools.csv"),
        "name,label,director\ns12,School 12,D. Yusupova\ns31,School 31,A. Karimov\n",
    )
    .expect("list");
    let path = |p: &str| dir.join(p).display().to_string();
    let out = dala(&["convert", &path("visit.md"), "-o", &path("out/visit.json")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copied = std::fs::read_to_string(dir.join("out/visit-media/schools.csv")).expect("copied");
    assert!(copied.contains("A. Karimov"));
    let doc = std::fs::read_to_string(dir.join("out/visit.json")).expect("written");
    assert!(doc.contains("\"attachments\"") && doc.contains("\"schools.csv\""));

    let out = dala(&["validate", &path("out/visit.json")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = dala(&["trace", "--steps", "5", &path("out/visit.json")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"path\":\"school\""),
        "the school is chosen from the file's rows: {}",
        stdout(&out)
    );

    // Records simulated from the form and exported with labels: the school's label comes
    // from the attached list.
    let out = dala(&[
        "simulate",
        &path("out/visit.json"),
        "-n",
        "20",
        "-o",
        &path("out/visits.jsonl"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = dala(&[
        "export",
        &path("out/visit.json"),
        &path("out/visits.jsonl"),
        "--labels",
        "default",
        "-o",
        &path("out/export"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.join("out/export/visit.csv")).expect("exported");
    assert!(
        csv.contains("School 12") || csv.contains("School 31"),
        "labelled from schools.csv: {csv}"
    );
    assert!(!csv.contains(",s12,") && !csv.contains(",s31,"), "{csv}");
    assert!(
        csv.contains("A. Karimov") || csv.contains("D. Yusupova"),
        "pulldata: {csv}"
    );

    std::fs::remove_dir_all(dir.join("out/visit-media")).expect("remove media");
    let out = dala(&["validate", &path("out/visit.json")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("V022"), "{}", stderr(&out));
    assert!(stderr(&out).contains("schools.csv"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Media in labels (issue 19): the pictures and sounds a workbook's labels name go with the
/// form into its media folder; a file beside it that no label names stays behind; one a label
/// names and that is missing is a warning naming the file and its cell, and the form converts.
#[test]
fn the_pictures_a_form_shows_travel_with_it() {
    let dir = std::env::temp_dir().join(format!("dala-cli-label-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).expect("scratch");
    std::fs::write(
        dir.join("ranks.md"),
        "| survey |                 |      |       |           |             |
         |        | type            | name | label | image     | audio       |
         |        | select_one rank | rank | Rank  | badge.png | welcome.mp3 |
         | choices |           |         |         |          |
         |         | list_name | name    | label   | image    |
         |         | rank      | officer | Officer | star.png |",
    )
    .expect("form");
    std::fs::write(dir.join("badge.png"), b"\x89PNG badge").expect("badge");
    std::fs::write(dir.join("star.png"), b"\x89PNG star").expect("star");
    std::fs::write(dir.join("holiday.jpg"), b"\xff\xd8 not the form's").expect("stranger");
    let path = |p: &str| dir.join(p).display().to_string();
    let out = dala(&["convert", &path("ranks.md"), "-o", &path("out/ranks.json")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warning = stderr(&out);
    assert!(
        warning.contains("warning[X013]")
            && warning.contains("survey!E2")
            && warning.contains("welcome.mp3"),
        "{warning}"
    );
    let mut written: Vec<String> = std::fs::read_dir(dir.join("out/ranks-media"))
        .expect("media folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(written, ["badge.png", "star.png"]);
    assert_eq!(
        std::fs::read(dir.join("out/ranks-media/star.png")).expect("star"),
        b"\x89PNG star"
    );
    // The document read back with its folder: valid, and converted again the files follow.
    let out = dala(&[
        "convert",
        &path("out/ranks.json"),
        "-o",
        &path("again.xlsx"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("again-media/badge.png").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exports of media forms (issue 19): `dala export` writes each record's files as ODK
/// Central's export holds them (`files/<instance id>/<name>`, in a folder or the .zip, stored
/// as they came), with AttachmentsPresent and AttachmentsExpected (1 and 1 for a record whose
/// photo came, 0 and 1 for one whose photo did not); a duplicate brings no second copy; with
/// `--no-files` the files stay out and the counts stay.
#[test]
fn an_export_holds_the_records_files_as_odk_central_does() {
    use dala_core::record::{BUNDLE_KIND, BundleHeader, RECORD_FORMAT, write_bundle_with_files};
    use dala_core::{Answer, Attachment, Status, Submission};
    let dir = std::env::temp_dir().join(format!("dala-cli-export-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    std::fs::write(
        dir.join("house.json"),
        r#"{"format": 2, "settings": {"form_id": "house", "version": "1"},
            "survey": [{"type": "image", "name": "photo", "label": {"default": "Photo"}}]}"#,
    )
    .expect("form");
    let photo = b"\xff\xd8 the house of the Yusupovs \xff\xd9".to_vec();
    let record = |id: &str| Submission {
        format: RECORD_FORMAT,
        instance_id: id.into(),
        instrument_id: "house".into(),
        instrument_version: "1".into(),
        status: Status::Finalized,
        started: "2015-03-17T10:30:00.000+06:00".into(),
        updated: "2015-03-17T10:45:00.000+06:00".into(),
        finalized: Some("2015-03-17T10:45:00.000+06:00".into()),
        enumerator: "Aida".into(),
        device_id: "tab-1".into(),
        instance_name: None,
        answers: [("photo".to_string(), Answer::Value("1.jpg".into()))].into(),
        held: Vec::new(),
        files: vec![Attachment::of("1.jpg", "image/jpeg", &photo)],
    };
    let header = BundleHeader {
        format: RECORD_FORMAT,
        kind: BUNDLE_KIND.into(),
        instrument_id: "house".into(),
        instrument_version: "1".into(),
        device_id: "tab-1".into(),
        created: "2015-03-17T18:00:00.000+06:00".into(),
    };
    let records = [record("uuid:with"), record("uuid:without")];
    let bundle = write_bundle_with_files(&header, &records, |r, _| {
        (r.instance_id == "uuid:with").then(|| photo.clone())
    });
    std::fs::write(dir.join("tab-1.jsonl"), &bundle).expect("bundle");
    std::fs::write(dir.join("again.jsonl"), &bundle).expect("the same bundle again");
    let path = |p: &str| dir.join(p).display().to_string();

    let out = dala(&[
        "export",
        &path("house.json"),
        &path("tab-1.jsonl"),
        &path("again.jsonl"),
        "-o",
        &path("out"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.join("out/files/uuid:with/1.jpg")).expect("the photo"),
        photo
    );
    assert!(!dir.join("out/files/uuid:without").exists());
    let csv = std::fs::read_to_string(dir.join("out/house.csv")).expect("table");
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let column = |name: &str| rows[0].iter().position(|c| *c == name).expect(name);
    let (present, expected, key) = (
        column("AttachmentsPresent"),
        column("AttachmentsExpected"),
        column("KEY"),
    );
    let counts: Vec<(&str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[key], r[present], r[expected]))
        .collect();
    assert_eq!(
        counts,
        [("uuid:with", "1", "1"), ("uuid:without", "0", "1")],
        "{csv}"
    );

    let out = dala(&[
        "export",
        &path("house.json"),
        &path("tab-1.jsonl"),
        "-o",
        &path("out.zip"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let zip = std::fs::read(dir.join("out.zip")).expect("zip");
    let holds = |needle: &[u8]| zip.windows(needle.len()).any(|w| w == needle);
    assert!(holds(b"files/uuid:with/1.jpg"), "the entry's name");
    assert!(holds(&photo), "stored as it came, not deflated");

    let out = dala(&[
        "export",
        &path("house.json"),
        &path("tab-1.jsonl"),
        "--no-files",
        "-o",
        &path("bare"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.join("bare/files").exists());
    let bare = std::fs::read_to_string(dir.join("bare/house.csv")).expect("table");
    assert_eq!(bare, csv, "the same table, the counts kept");
    let _ = std::fs::remove_dir_all(&dir);
}

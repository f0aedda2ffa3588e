//! The API fuzzed with schemathesis (PyPI) against the OpenAPI document it serves: about
//! 2,000 generated requests, signed in as a site administrator, with a fixed seed. Checked: no
//! answer is a server error, and every answer (status, content type, headers, body) is one the
//! document allows. Left out: signing out (it would end the fuzzer's own session), and the
//! check that every schema-valid request is accepted: bundles and workbooks are bodies whose
//! validity no schema says (the API refuses a bad one with 422 and its code).

use crate::api::team;
use crate::harness::scratch;

pub const SCHEMATHESIS: &str = "schemathesis==4.32.5";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_answers_generated_requests_as_its_document_says() {
    for scratch in scratch("fuzz") {
        let team = team(scratch.url()).await;
        let token = team.token("admin");
        let base = team.url("");
        let out = tokio::task::spawn_blocking(move || {
            let site = dala_e2e::python::site(SCHEMATHESIS, "schemathesis");
            std::process::Command::new("python3")
                .args(["-m", "schemathesis.cli", "run"])
                .arg(format!("{base}/openapi.json"))
                .arg("--url")
                .arg(&base)
                .arg("-H")
                .arg(format!("Authorization: Bearer {token}"))
                .args([
                    "--exclude-operation-id",
                    "delete_sessions",
                    "--max-examples",
                    "40",
                    "--seed",
                    "1",
                    "--checks",
                    "all",
                    "--exclude-checks",
                    "positive_data_acceptance",
                    "--no-color",
                ])
                .env("PYTHONPATH", &site)
                .env("SCHEMATHESIS_HOOKS", "")
                .current_dir(std::env::temp_dir())
                .output()
                .expect("python3 runs")
        })
        .await
        .expect("the fuzzer ran");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}: schemathesis found problems:\n{report}\n{}",
            scratch.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        // "1911 generated, 1911 passed, ..."
        let generated: usize = report
            .lines()
            .find_map(|l| l.trim().split_once(" generated,")?.0.parse().ok())
            .unwrap_or(0);
        assert!(
            generated > 1000,
            "{}: {generated} cases\n{report}",
            scratch.name()
        );
    }
}

//! Native half of `cargo xtask bench xlsform`: read and convert each file named in
//! DALA_BENCH_FILES (comma-separated), report the median time and this process's peak memory.

use std::time::Instant;

fn peak_rss_kib() -> u64 {
    // Linux: the high-water mark of resident memory, in kB.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

fn main() {
    let files = std::env::var("DALA_BENCH_FILES")
        .expect("DALA_BENCH_FILES (cargo xtask bench xlsform sets it)");
    let mut results = Vec::new();
    for path in files.split(',').filter(|p| !p.is_empty()) {
        let bytes = std::fs::read(path).expect("read");
        let mut times = Vec::new();
        let mut questions = 0;
        for _ in 0..7 {
            let started = Instant::now();
            let conversion = dala_xlsform::read(&bytes, "bench");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            questions = conversion.instrument.map_or(0, |i| i.walk().len());
            assert!(
                !conversion.diagnostics.iter().any(|d| !d.code.is_warning()),
                "{path}: {:?}",
                conversion.diagnostics.first()
            );
        }
        times.sort_by(f64::total_cmp);
        results.push(format!(
            "{{\"file\": \"{path}\", \"bytes\": {}, \"items\": {questions}, \"ms\": {:.2}, \"peak_rss_kib\": {}}}",
            bytes.len(),
            times[times.len() / 2],
            peak_rss_kib()
        ));
    }
    println!("[{}]", results.join(", "));
}

//! The `ipd` example, run as a user would run it.

use std::path::PathBuf;
use std::process::{Command, Output};

use ipd_tests::{Config, Emulator};

const AK: &str = "EXAMPLETESTAK0000001";
const SK: &str = "example-test-secret-key";

fn example() -> PathBuf {
    // cargo builds examples before running integration tests.
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples").join("ipd")
}

fn run(args: &[&str]) -> Output {
    Command::new(example())
        .args(args)
        .env("CLOUD_SDK_AK", AK)
        .env("CLOUD_SDK_SK", SK)
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK")
        .output()
        .unwrap()
}

fn stdout_json(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn uploads_to_the_built_in_emulator_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "first").unwrap();
    std::fs::write(&b, "second file").unwrap();
    let output = run(&["upload", a.to_str().unwrap(), b.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("local emulator"), "{stderr}");
    let lines = stdout_json(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["result"][0]["store_filename"], "a.txt");
    assert_eq!(lines[1]["result"][0]["filesize"], 11);
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_lists_and_downloads_against_an_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let emulator = Emulator::start(
        "127.0.0.1:0".parse().unwrap(),
        Config::new(AK, SK, dir.path().join("data")),
    )
    .await
    .unwrap();
    let url = emulator.url();
    let file = dir.path().join("data.bin");
    std::fs::write(&file, vec![42u8; 300_000]).unwrap();
    let target = ["--endpoint", url.as_str(), "--project-id", "p1"];

    let upload = run(&[
        &["upload"],
        &target[..],
        &["--issue-id", "i1", file.to_str().unwrap()],
    ]
    .concat());
    assert!(
        upload.status.success(),
        "{}",
        String::from_utf8_lossy(&upload.stderr)
    );
    assert!(!String::from_utf8_lossy(&upload.stderr).contains("emulator"));
    let id = stdout_json(&upload)[0]["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let list = run(&[&["list"], &target[..], &["--issue-id", "i1"]].concat());
    assert!(list.status.success());
    assert_eq!(stdout_json(&list)[0]["result"][0]["file_size"], "300000");

    let saved = dir.path().join("saved.bin");
    let download = run(&[
        &["download"],
        &target[..],
        &["--attachment-id", &id, "-o", saved.to_str().unwrap()],
    ]
    .concat());
    assert!(
        download.status.success(),
        "{}",
        String::from_utf8_lossy(&download.stderr)
    );
    assert_eq!(stdout_json(&download)[0]["bytes"], 300_000);
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&file).unwrap()
    );

    emulator.mark_deleted("p1", "gone");
    let refused = run(&[
        &["upload"],
        &target[..],
        &["--issue-id", "gone", file.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("PM.02175145")
            && stderr.contains("The work item has been deleted.")
            && stderr.contains("request id"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(refused.stdout.is_empty());
}

#[test]
fn usage_errors_exit_non_zero_without_panicking() {
    let output = run(&[
        "list",
        "--endpoint",
        "http://127.0.0.1:9",
        "--issue-id",
        "i",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--project-id is required"), "{stderr}");
    let output = run(&["upload", "--region", "mars-1", "x"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown region"));
}

//! The `ipd` command, run as a user would run it.

use std::process::{Command, Output};

use ipd_emulator::{Config, Emulator};

const AK: &str = "EXAMPLETESTAK0000001";
const SK: &str = "example-test-secret-key";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipd"))
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
fn demo_mode_keeps_its_data_across_invocations() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let demo_args = ["--demo", "--demo-dir", demo.to_str().unwrap()];
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "first").unwrap();
    std::fs::write(&b, "second file").unwrap();
    let output = run(&[
        &demo_args[..],
        &["upload", a.to_str().unwrap(), b.to_str().unwrap()],
    ]
    .concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = stdout_json(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["result"][0]["store_filename"], "a.txt");
    assert_eq!(lines[1]["result"][0]["filesize"], 11);
    let id = lines[1]["result"][0]["id"].as_str().unwrap().to_string();

    // Separate processes: the emulator of each starts on the same data.
    let list = run(&["list", "--demo", "--demo-dir", demo.to_str().unwrap()]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let listed = &stdout_json(&list)[0]["result"];
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");

    let saved = dir.path().join("saved.txt");
    let download = run(&[
        &demo_args[..],
        &[
            "download",
            "--attachment-id",
            &id,
            "-o",
            saved.to_str().unwrap(),
        ],
    ]
    .concat());
    assert!(
        download.status.success(),
        "{}",
        String::from_utf8_lossy(&download.stderr)
    );
    assert_eq!(std::fs::read(&saved).unwrap(), b"second file");
}

#[test]
fn without_a_target_nothing_is_contacted_and_all_three_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, "do not send").unwrap();
    // Real-looking credentials and IDs are in the environment; still no
    // target is guessed.
    let output = run(&[
        "upload",
        "--project-id",
        "gdbdf969b32694524a949b5ef6b3e124a",
        "--issue-id",
        "956239067176935400",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for flag in ["--region", "--endpoint", "--demo"] {
        assert!(stderr.contains(flag), "{stderr}");
    }
    let both = run(&["list", "--demo", "--region", "cn-north-4"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("only one of"));
}

#[test]
fn help_names_credential_sources_and_regions() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    // In the order they are read: the HUAWEICLOUD_ variables win.
    let (huawei, cloud) = (
        help.find("HUAWEICLOUD_SDK_AK").unwrap(),
        help.find("\n  CLOUD_SDK_AK and").unwrap(),
    );
    assert!(huawei < cloud, "{help}");
    for expected in [
        "CLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
        "ECS metadata service",
        "~/.huaweicloud/credentials",
        "cn-north-4",
        "sa-brazil-1",
        "--demo",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
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
    let id = stdout_json(&upload)[0]["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let list = run(&[&["list"], &target[..], &["--issue-id", "i1"]].concat());
    assert!(list.status.success());
    assert_eq!(stdout_json(&list)[0]["result"][0]["file_size"], 300000);

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

    emulator.mark_deleted("p1", "gone").unwrap();
    let refused = run(&[
        &["upload"],
        &target[..],
        &["--issue-id", "gone", file.to_str().unwrap()],
    ]
    .concat());
    assert_eq!(refused.status.code(), Some(3));
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
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--project-id is required"), "{stderr}");
    let output = run(&["upload", "--region", "mars-1", "x"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown region"));
}

fn demo(dir: &std::path::Path, args: &[&str]) -> Output {
    let demo = dir.join("demo");
    run(&[&["--demo", "--demo-dir", demo.to_str().unwrap()], args].concat())
}

/// Uploads one file in demo mode and returns its attachment ID.
fn demo_upload(dir: &std::path::Path) -> String {
    let file = dir.join("a.txt");
    std::fs::write(&file, "payload").unwrap();
    let output = demo(dir, &["upload", file.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_json(&output)[0]["result"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn download_ids_that_are_not_plain_file_names_need_an_output_path() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for id in [
        "../escape",
        "/tmp/absolute",
        "..",
        ".",
        "a/b",
        "a\\b",
        "x\u{1b}[2J",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_ipd"))
            .current_dir(&work)
            .args(["--demo", "--demo-dir"])
            .arg(dir.path().join("demo"))
            .args(["download", "--attachment-id", id])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{id:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("-o"), "{stderr}");
        assert!(!stderr.contains('\u{1b}'), "raw escape printed: {stderr:?}");
    }
    assert!(!dir.path().join("escape").exists());
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
}

#[test]
fn an_existing_file_is_replaced_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let id = demo_upload(dir.path());
    let target = dir.path().join("kept.txt");
    std::fs::write(&target, "mine").unwrap();
    let args = [
        "download",
        "--attachment-id",
        &id,
        "-o",
        target.to_str().unwrap(),
    ];
    let refused = demo(dir.path(), &args);
    assert_eq!(refused.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(std::fs::read(&target).unwrap(), b"mine");
    let forced = demo(dir.path(), &[&args[..], &["--force"]].concat());
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"payload");
}

#[cfg(unix)]
#[test]
fn links_and_devices_are_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let id = demo_upload(dir.path());
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for target in [
        link.to_str().unwrap(),
        "/dev/null",
        dir.path().to_str().unwrap(),
    ] {
        let output = demo(
            dir.path(),
            &["download", "--attachment-id", &id, "-o", target, "--force"],
        );
        assert_eq!(output.status.code(), Some(5), "{target}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn service_text_is_escaped_and_failures_have_distinct_exit_codes() {
    use ipd_testkit::faults::{ScriptedServer, Step};
    let body = "{\"error_code\":\"E\\u001b[2J\",\"error_msg\":\"bad\\r\\nerror: forged\\u001b]0;t\\u0007\"}";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = ScriptedServer::start(vec![Step::Send(answer.into_bytes())])
        .await
        .unwrap();
    let url = server.url();
    let output = tokio::task::spawn_blocking(move || {
        run(&[
            "--endpoint",
            &url,
            "list",
            "--project-id",
            "p",
            "--issue-id",
            "i",
        ])
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "no forged line: {stderr:?}");

    // Nothing listens on port 9: a network failure, with its root cause.
    let output = run(&[
        "--endpoint",
        "http://127.0.0.1:9",
        "list",
        "--project-id",
        "p",
        "--issue-id",
        "i",
    ]);
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "{stderr}"
    );
}

#[test]
fn verbose_logs_one_span_per_call_with_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let output = demo(dir.path(), &["-v", "list"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ipd.call"), "{stderr}");
    assert!(stderr.contains("request_id="), "{stderr}");
    // One -v is the client's own lines only; -vv adds the HTTP library's.
    let library = |text: &str| {
        text.lines()
            .any(|l| l.contains("hyper") || l.contains("reqwest") || l.contains("rustls"))
    };
    assert!(!library(&stderr), "{stderr}");
    let output = demo(dir.path(), &["-vv", "list"]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ipd.call") && library(&stderr), "{stderr}");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_off_in_bounded_memory() {
    use ipd_testkit::faults::{ScriptedServer, Step};
    let chunk: Vec<u8> = b"4000\r\n"
        .iter()
        .chain([b' '; 0x4000].iter())
        .chain(b"\r\n")
        .copied()
        .collect();
    let server = ScriptedServer::start(vec![
        Step::Send(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n1\r\n[\r\n"
                .to_vec(),
        ),
        Step::Repeat(chunk, std::time::Duration::ZERO),
    ])
    .await
    .unwrap();
    let url = server.url();
    let (status, peak_kib) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ipd"))
            .args([
                "--endpoint",
                &url,
                "list",
                "--project-id",
                "p",
                "--issue-id",
                "i",
            ])
            .env("CLOUD_SDK_AK", AK)
            .env("CLOUD_SDK_SK", SK)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The peak resident size, polled from /proc while the command runs.
        let status_file = format!("/proc/{}/status", child.id());
        let mut peak = 0u64;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status, peak);
            }
            if let Ok(text) = std::fs::read_to_string(&status_file)
                && let Some(kib) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(3), "the body limit is a service error");
    assert!(peak_kib > 0, "the peak was read");
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}

fn demo_with_stdin(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let demo = dir.join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipd"))
        .args(["--demo", "--demo-dir", demo.to_str().unwrap()])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn succeeded(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_json(output).remove(0)
}

/// `ipd <operation> --help` exists for every operation of the spec, by its
/// kebab-case name and by its operationId, and shows its route and every
/// parameter from the spec.
#[test]
fn every_operation_is_a_subcommand_with_help_from_the_spec() {
    let catalogue = ipd_catalogue::Catalogue::bundled();
    for op in catalogue.operations() {
        let output = run(&[op.command.as_str(), "--help"]);
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{}: {help}", op.command);
        assert!(
            help.contains(&format!("{} {}", op.method, op.path)),
            "{help}"
        );
        for param in &op.params {
            // Flags are lower case; a header's help names it as the spec does.
            let flag = format!("--{}", param.name.replace('_', "-").to_ascii_lowercase());
            if param.location == ipd_catalogue::Location::Header {
                assert!(
                    help.contains(&format!("(header {})", param.name)),
                    "{}: {help}",
                    op.command
                );
            }
            assert!(
                help.contains(&flag) || help.contains(&format!("  {}", param.name)),
                "{} does not show {}: {help}",
                op.command,
                param.name
            );
        }
    }
    let by_id = run(&["ListIpdLabels", "--help"]);
    assert!(by_id.status.success());
    let help = String::from_utf8_lossy(&by_id.stdout);
    assert!(help.contains("--title"), "{help}");
    // Body fields come from the spec too.
    let create = run(&["create-ipd-label", "--help"]);
    let help = String::from_utf8_lossy(&create.stdout);
    assert!(
        help.contains("title [required] (string)") && help.contains("color"),
        "{help}"
    );
}

#[test]
fn generic_calls_reach_the_stateful_demo() {
    let dir = tempfile::tempdir().unwrap();
    let label = r##"{"title": "urgent", "color": "#F66F6A"}"##;
    let created = succeeded(&demo_with_stdin(
        dir.path(),
        &["create-ipd-label", "--body", "-"],
        label,
    ));
    // A created label is answered as the one object the official SDK
    // decodes (x-sdk-reads-one).
    let id = created["result"]["id"].as_str().unwrap().to_string();
    // A body from a file, and the operationId as the command name.
    let file = dir.path().join("label.json");
    std::fs::write(&file, r##"{"title": "ux", "color": "#5E7CE0"}"##).unwrap();
    succeeded(&demo(
        dir.path(),
        &["CreateIpdLabel", "--body", file.to_str().unwrap()],
    ));
    // A flag derived from the spec, and the same through --param.
    for filter in [&["--title", "urgent"][..], &["--param", "title=urgent"]] {
        let listed = succeeded(&demo(dir.path(), &[&["list-ipd-labels"], filter].concat()));
        let data = listed["result"]["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{listed}");
        assert_eq!(data[0]["id"], id.as_str());
    }
    let all = succeeded(&demo(dir.path(), &["list-ipd-labels"]));
    assert_eq!(all["result"]["data"].as_array().unwrap().len(), 2, "{all}");
}

#[test]
fn body_fields_are_flags_parsed_by_type_and_win_over_the_body_file() {
    let dir = tempfile::tempdir().unwrap();
    let help = run(&["create-ipd-label", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--title <STRING>"), "{help}");
    assert!(help.contains("--category-types <STRING>"), "{help}");
    assert!(help.contains("One of: RR, IR, AR, SR, Bug"), "{help}");
    // Flags alone make the body; an array field takes JSON.
    let created = succeeded(&demo(
        dir.path(),
        &[
            "create-ipd-label",
            "--title",
            "from flags",
            "--color",
            "#6DDEBB",
            "--category-types",
            r#"["Bug"]"#,
        ],
    ));
    assert_eq!(created["result"]["title"], "from flags", "{created}");
    // A flag wins over the same field of --body; the rest of the body stays.
    let created = succeeded(&demo_with_stdin(
        dir.path(),
        &["create-ipd-label", "--body", "-", "--title", "flag wins"],
        r##"{"title": "from the body", "color": "#5E7CE0"}"##,
    ));
    assert_eq!(created["result"]["title"], "flag wins", "{created}");
    assert_eq!(created["result"]["color"], "#5E7CE0", "{created}");
    // A value that is not of the field's type is a usage error, before
    // anything is sent.
    let output = demo(
        dir.path(),
        &[
            "create-ipd-label",
            "--title",
            "t",
            "--category-types",
            "bugs",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--category-types takes one of RR, IR, AR, SR, Bug"),
        "{output:?}"
    );
}

/// An array flag takes what people type: a bare value, the flag repeated,
/// comma-separated values, or JSON; a listed value in any case; and the
/// items of a string array are sent as strings, digits included.
#[tokio::test(flavor = "multi_thread")]
async fn array_flags_take_bare_repeated_and_comma_separated_values_as_strings() {
    let setup = ipd_testkit::start().await;
    let url = setup.emulator.url();
    let call = |args: &[&str]| {
        with_testkit_keys()
            .args([
                "--endpoint",
                url.as_str(),
                "--project-id",
                ipd_testkit::PROJECT,
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let body_of = |setup: &ipd_testkit::Setup| {
        setup
            .emulator
            .recorded()
            .last()
            .and_then(|r| r.body.clone())
            .unwrap()
    };
    for (args, sent) in [
        (vec!["--category-types", "Bug"], serde_json::json!(["Bug"])),
        (
            vec!["--category-types", "bug", "--category-types", "task"],
            serde_json::json!(["Bug", "Task"]),
        ),
        (
            vec!["--category-types", "Bug,RR"],
            serde_json::json!(["Bug", "RR"]),
        ),
        (
            vec!["--category-types", r#"["IR"]"#],
            serde_json::json!(["IR"]),
        ),
    ] {
        let title = format!("label {}", sent);
        let mut command = vec!["create-ipd-label", "--title", &title, "--color", "#6DDEBB"];
        command.extend(args.iter().copied());
        let output = tokio::task::block_in_place(|| call(&command));
        assert!(output.status.success(), "{args:?}: {output:?}");
        assert_eq!(body_of(&setup)["category_types"], sent, "{args:?}");
    }
    // A 19-digit id stays a string: `"id": ["1100000000000000108"]`.
    let output = tokio::task::block_in_place(|| {
        call(&[
            "batch-update-ipd-issues",
            "--id",
            "1100000000000000108",
            "--attribute",
            r#"{"priority": "高"}"#,
        ])
    });
    assert!(output.status.code().is_some(), "{output:?}");
    assert_eq!(
        body_of(&setup)["id"],
        serde_json::json!(["1100000000000000108"])
    );
}

#[test]
fn generic_calls_send_forms_and_save_binary_answers() {
    let dir = tempfile::tempdir().unwrap();
    let item = r#"{"title": "With a picture", "description": "See below."}"#;
    let created = succeeded(&demo_with_stdin(
        dir.path(),
        &["create-ipd-project-issue", "--body", "-"],
        item,
    ));
    let issue = created["result"][0]["id"].as_str().unwrap().to_string();
    let image = dir.path().join("shot.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let form = format!("file=@{}", image.display());
    let uploaded = succeeded(&demo(
        dir.path(),
        &[
            "upload-ipd-image-in-issue",
            "--issue-id",
            &issue,
            "--form",
            &form,
        ],
    ));
    // The service names the image only in the work item's description.
    let description = uploaded.to_string();
    let name = description
        .split("src=\\\"")
        .nth(1)
        .and_then(|rest| rest.split("\\\"").next())
        .unwrap_or_else(|| panic!("no image in {uploaded}"))
        .to_string();
    let saved = dir.path().join("saved.png");
    let output = demo(
        dir.path(),
        &[
            "download-ipd-image-in-issue",
            "--issue-id",
            &issue,
            "--file-name",
            &name,
        ],
    );
    assert_eq!(output.status.code(), Some(2), "a binary answer needs -o");
    let done = succeeded(&demo(
        dir.path(),
        &[
            "download-ipd-image-in-issue",
            "--issue-id",
            &issue,
            "--file-name",
            &name,
            "-o",
            saved.to_str().unwrap(),
        ],
    ));
    assert_eq!(done["bytes"], 18);
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&image).unwrap()
    );
}

#[test]
fn generic_call_errors_name_the_problem_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    // The emulator's 400 names the field: a service error, status 3.
    let output = demo_with_stdin(
        dir.path(),
        &["create-ipd-label", "--body", "-"],
        r##"{"title": 5, "color": "#86CAFF"}"##,
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`body.title`"));
    // A missing required parameter is caught before sending: usage, 2.
    let output = demo(dir.path(), &["list-ipd-issue-comments", "--issue-id", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("page_no"));
    let output = demo(dir.path(), &["list-ipd-labels", "--param", "nope=1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no parameter `nope`"));
    let output = demo_with_stdin(dir.path(), &["create-ipd-label", "--body", "-"], "{");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not JSON"));
    // An operation without a target contacts nothing.
    let output = run(&["list-ipd-labels"]);
    assert_eq!(output.status.code(), Some(2));
}

/// One JSON shape per model: the typed `list` and the generic call of the
/// same operation print the same thing.
#[test]
fn typed_and_generic_commands_print_a_model_alike() {
    let dir = tempfile::tempdir().unwrap();
    demo_upload(dir.path());
    let typed = succeeded(&demo(dir.path(), &["list"]));
    let generic = succeeded(&demo(
        dir.path(),
        &[
            "show-ipd-attachment-by-work-item-id",
            "--issue-id",
            "956239067176935400",
        ],
    ));
    assert_eq!(typed, generic);
    assert_eq!(typed["result"].as_array().unwrap().len(), 1);
}

/// A value's shape: its members and their JSON types, values aside.
fn shape(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(members) => members
            .iter()
            .map(|(k, v)| (k.clone(), shape(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Value::Array(items) => items.iter().map(shape).collect(),
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Null => "null".into(),
    }
}

/// The upload answer has digit strings and nulls on the wire; the typed
/// `upload` and the generic call print both as the model does.
#[test]
fn uploads_print_one_shape_whichever_command_sends_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "payload").unwrap();
    let typed = succeeded(&demo(dir.path(), &["upload", file.to_str().unwrap()]));
    let form = format!("attachment=@{}", file.display());
    let generic = succeeded(&demo(
        dir.path(),
        &[
            "create-ipd-project-issue-attachment",
            "--issue-id",
            "956239067176935400",
            "--form",
            &form,
        ],
    ));
    assert_eq!(shape(&typed), shape(&generic));
    assert_eq!(generic["result"][0]["filesize"], 7);
    assert!(generic["result"][0].get("associate_type").is_none());
}

/// Runs `ipd` with `args` and the test kit's credentials, polling its peak
/// resident size; returns its status, stdout and peak (KiB).
/// `ipd`, with the test kit's emulator keys as the only credentials.
fn with_testkit_keys() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ipd"));
    command
        .env("CLOUD_SDK_AK", ipd_testkit::AK)
        .env("CLOUD_SDK_SK", ipd_testkit::SK)
        .env_remove("HUAWEICLOUD_SDK_AK")
        .env_remove("HUAWEICLOUD_SDK_SK");
    command
}

fn run_measured(args: Vec<String>) -> (std::process::ExitStatus, Vec<u8>, u64) {
    use std::io::Read;
    let mut child = with_testkit_keys()
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    (status, reader.join().unwrap(), peak)
}

#[tokio::test(flavor = "multi_thread")]
async fn all_pages_of_a_paged_operation_are_one_json_array() {
    use codearts_req::types::{CreateIpdProjectIssueParam, IssueCategory};
    let setup = ipd_testkit::start().await;
    let client = ipd_testkit::client(&setup.emulator.url(), codearts_req::RetryPolicy::none());
    for batch in 0..5 {
        let items: Vec<CreateIpdProjectIssueParam> = (0..50)
            .map(|i| {
                CreateIpdProjectIssueParam::builder()
                    .title(format!("Item {batch}-{i}"))
                    .description("d")
                    .category(IssueCategory::Bug)
                    .build()
                    .unwrap()
            })
            .collect();
        client
            .batch_create_ipd_issues()
            .project_id(ipd_testkit::PROJECT)
            .body(items)
            .send()
            .await
            .unwrap();
    }
    let url = setup.emulator.url();
    let args: Vec<String> = [
        "--endpoint",
        &url,
        "--project-id",
        ipd_testkit::PROJECT,
        "list-ipd-project-issues",
        "--issue-type",
        "Bug",
        "--all",
        "--page-size",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (status, out, _) = tokio::task::spawn_blocking(move || run_measured(args))
        .await
        .unwrap();
    assert!(status.success());
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(listed.len(), 250);
    let ids: std::collections::BTreeSet<&str> =
        listed.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), 250, "each exactly once");
    let pages = setup
        .emulator
        .recorded()
        .iter()
        .filter(|r| r.uri.contains("/issues/query"))
        .count();
    assert_eq!(pages, 13);
}

/// 10,000 work items of 5 KB each (50 MB in all) in pages of 200: the
/// command prints every one, and holds about a page at a time.
#[tokio::test(flavor = "multi_thread")]
async fn all_pages_stream_in_flat_memory() {
    use ipd_testkit::faults::{ScriptedServer, Step};
    let description = "x".repeat(5000);
    let scripts: Vec<Vec<Step>> = (0..50)
        .map(|page| {
            let issues: Vec<serde_json::Value> = (0..200)
                .map(|i| serde_json::json!({ "id": format!("{}", page * 200 + i), "description": description }))
                .collect();
            let body = serde_json::json!({ "status": "success", "result": { "issues": issues, "total": 10_000 } })
                .to_string();
            vec![Step::Send(
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len())
                    .into_bytes(),
            )]
        })
        .collect();
    let server = ScriptedServer::start_sequence(scripts).await.unwrap();
    let args: Vec<String> = [
        "--endpoint",
        &server.url(),
        "--project-id",
        "p",
        "list-ipd-project-issues",
        "--issue-type",
        "Bug",
        "--all",
        "--page-size",
        "200",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (status, out, peak_kib) = tokio::task::spawn_blocking(move || run_measured(args))
        .await
        .unwrap();
    assert!(status.success());
    assert!(out.len() > 50_000_000, "{} bytes printed", out.len());
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(listed.len(), 10_000);
    assert_eq!(server.requests().len(), 50);
    assert!(peak_kib > 0, "the peak was read");
    // Holding the listing would take well over 50 MiB.
    assert!(peak_kib < 40 * 1024, "peak RSS {peak_kib} KiB");
}

/// Starts `ipd --demo ARGS` on `demo_dir`, without waiting.
fn spawn_demo(demo_dir: &std::path::Path, args: &[String]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ipd"))
        .args(["--demo", "--demo-dir", demo_dir.to_str().unwrap()])
        .args(args)
        .env("CLOUD_SDK_AK", AK)
        .env("CLOUD_SDK_SK", SK)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts every command at once (each its own process and emulator on
/// one demo directory), then waits for all: each must succeed. Returns
/// their answers.
fn all_at_once(demo_dir: &std::path::Path, commands: Vec<Vec<String>>) -> Vec<serde_json::Value> {
    let children: Vec<_> = commands.iter().map(|c| spawn_demo(demo_dir, c)).collect();
    children
        .into_iter()
        .zip(&commands)
        .map(|(child, command)| {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{command:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            succeeded(&output)
        })
        .collect()
}

fn distinct(ids: &[String]) -> usize {
    ids.iter().collect::<std::collections::BTreeSet<_>>().len()
}

#[test]
fn twenty_demo_processes_creating_labels_at_once_all_keep_their_label() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let commands = (0..20)
        .map(|i| {
            [
                "create-ipd-label",
                "--title",
                &format!("label {i:02}"),
                "--color",
                "#F66F6A",
            ]
            .map(String::from)
            .to_vec()
        })
        .collect();
    let created: Vec<String> = all_at_once(&demo_dir, commands)
        .iter()
        .map(|answer| answer["result"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(distinct(&created), 20, "{created:?}");

    let listed = succeeded(&demo(dir.path(), &["list-ipd-labels"]));
    let mut ids: Vec<String> = listed["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|label| label["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let mut created = created;
    created.sort();
    assert_eq!(ids, created, "every acknowledged label is listed, once");
}

#[test]
fn concurrent_uploads_and_comments_from_separate_processes_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let item = succeeded(&demo(
        dir.path(),
        &[
            "create-ipd-project-issue",
            "--title",
            "Busy",
            "--description",
            "d",
            "--category",
            "Task",
        ],
    ));
    let issue = item["result"][0]["id"].as_str().unwrap().to_string();
    let mut commands = Vec::new();
    for i in 0..10 {
        let file = dir.path().join(format!("file-{i}.txt"));
        std::fs::write(&file, format!("content {i}")).unwrap();
        commands.push(vec![
            "upload".into(),
            "--issue-id".into(),
            issue.clone(),
            file.to_str().unwrap().into(),
        ]);
        commands.push(
            [
                "create-ipd-issue-comments",
                "--issue-id",
                &issue,
                "--description",
                &format!("comment {i}"),
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    let answers = all_at_once(&demo_dir, commands);
    let ids: Vec<String> = answers
        .iter()
        .map(|a| {
            let result = &a["result"];
            let id = if result.is_array() {
                &result[0]["id"]
            } else {
                &result["id"]
            };
            id.as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(distinct(&ids), 20, "{ids:?}");

    let attachments = succeeded(&demo(dir.path(), &["list", "--issue-id", &issue]));
    let names: std::collections::BTreeSet<_> = attachments["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["store_filename"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 10, "{attachments}");
    let comments = succeeded(&demo(
        dir.path(),
        &[
            "list-ipd-issue-comments",
            "--issue-id",
            &issue,
            "--page-no",
            "1",
            "--page-size",
            "50",
            "--category",
            "comment",
        ],
    ));
    assert_eq!(comments["result"]["total"], 10, "{comments}");
}

/// Every work item type the create call documents, the raw requirement
/// included (whose class the emulator once answered with a 500), is
/// created and read back.
#[test]
fn every_work_item_type_is_created_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    for category in ["RR", "IR", "SR", "AR", "Bug", "Task"] {
        let title = format!("A {category}");
        let created = succeeded(&demo(
            dir.path(),
            &[
                "create-ipd-project-issue",
                "--title",
                &title,
                "--description",
                "-",
                "--category",
                category,
            ],
        ));
        let item = &created["result"][0];
        assert_eq!(item["category"], category, "{created}");
        let id = item["id"].as_str().unwrap();
        let shown = succeeded(&demo(
            dir.path(),
            &[
                "show-issue-detail",
                "--issue-id",
                id,
                "--issue-type",
                category,
            ],
        ));
        assert_eq!(shown["result"][0]["title"], title.as_str(), "{shown}");
    }
}

/// `ipd list-ipd-project-issues --all` against a server scripted to send
/// `pages` (each `result` of one answer), as `(exit status, stdout,
/// stderr)`.
async fn list_all_from(pages: Vec<serde_json::Value>, page_size: &str) -> (i32, String, String) {
    use ipd_testkit::faults::{ScriptedServer, Step};
    let scripts: Vec<Vec<Step>> = pages
        .into_iter()
        .map(|result| {
            let body = serde_json::json!({ "status": "success", "result": result }).to_string();
            vec![Step::Send(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            )]
        })
        .collect();
    let server = ScriptedServer::start_sequence(scripts).await.unwrap();
    let url = server.url();
    let size = page_size.to_string();
    let output = tokio::task::spawn_blocking(move || {
        run(&[
            "--endpoint",
            &url,
            "--project-id",
            "p",
            "list-ipd-project-issues",
            "--issue-type",
            "Bug",
            "--all",
            "--page-size",
            &size,
        ])
    })
    .await
    .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn issues(ids: impl IntoIterator<Item = u32>) -> Vec<serde_json::Value> {
    ids.into_iter()
        .map(|i| serde_json::json!({ "id": i.to_string(), "title": "t" }))
        .collect()
}

/// The hostile paginated servers: each listing ends with an error naming
/// the page, a non-zero exit, and the items so far as valid JSON.
#[tokio::test(flavor = "multi_thread")]
async fn lying_paginated_servers_end_the_listing_with_an_error_and_valid_json() {
    // Items that are not a list.
    let (code, out, err) = list_all_from(
        vec![serde_json::json!({ "issues": { "a": 1 }, "total": 3 })],
        "20",
    )
    .await;
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty(), "nothing before the first page: {out}");
    assert!(err.contains("page 1's items are not a list"), "{err}");
    // Page 2 repeats page 1 in reverse order, total 60.
    let page = |ids: Vec<serde_json::Value>| serde_json::json!({ "issues": ids, "total": 60 });
    let mut reversed = issues(0..20);
    reversed.reverse();
    let (code, out, err) = list_all_from(vec![page(issues(0..20)), page(reversed)], "20").await;
    assert_eq!(code, 3, "{err}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&out).expect("a closed JSON array");
    assert_eq!(listed.len(), 20);
    assert!(err.contains("page 2 repeats item 19"), "{err}");
    // A server that ignores the page size: 50 items for a page of 20.
    let (code, out, err) = list_all_from(
        vec![serde_json::json!({ "issues": issues(0..50), "total": 120 })],
        "20",
    )
    .await;
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("page 1 has 50 items, more than the 20 asked for"),
        "{err}"
    );
    // A total the pages contradict.
    let (code, out, err) = list_all_from(
        vec![serde_json::json!({ "issues": issues(0..5), "total": 9 })],
        "20",
    )
    .await;
    assert_eq!(code, 3, "{err}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&out).expect("a closed JSON array");
    assert_eq!(listed.len(), 5);
    assert!(err.contains("but the service counts 9"), "{err}");
}

/// A required parameter missing is the same usage error with or without
/// `--all`: exit 2, nothing on stdout.
#[test]
fn a_usage_error_with_all_exits_2_and_writes_nothing() {
    for all in [false, true] {
        let mut args = vec![
            "--endpoint",
            "http://127.0.0.1:9",
            "--project-id",
            "p",
            "list-ipd-project-issues",
        ];
        if all {
            args.push("--all");
        }
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(output.stdout.is_empty(), "{output:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("issue_type"),
            "{output:?}"
        );
    }
}

/// The plan service and external links, reachable by name like every
/// other operation.
#[test]
fn plans_and_external_links_are_reachable_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let release = succeeded(&demo(
        dir.path(),
        &[
            "create-plans",
            "--title",
            "R1",
            "--category",
            "PI",
            "--plan-start-date",
            "2024-01-01",
            "--plan-end-date",
            "2024-03-31",
        ],
    ));
    let release = release["result"]["id"].as_str().unwrap().to_string();
    succeeded(&demo(
        dir.path(),
        &[
            "create-plans",
            "--title",
            "S1",
            "--category",
            "Iteration",
            "--parent-id",
            &release,
            "--plan-start-date",
            "2024-01-01",
            "--plan-end-date",
            "2024-01-14",
        ],
    ));
    let listed = succeeded(&demo(dir.path(), &["list-plan"]));
    assert_eq!(
        listed["result"][0]["children"][0]["title"], "S1",
        "{listed}"
    );
    let item = succeeded(&demo(
        dir.path(),
        &[
            "create-ipd-project-issue",
            "--title",
            "Linked",
            "--description",
            "-",
        ],
    ));
    let issue = item["result"][0]["id"].as_str().unwrap().to_string();
    succeeded(&demo(
        dir.path(),
        &[
            "associate-ipd-third-party",
            "--issue-id",
            &issue,
            "--title",
            "Design",
            "--url",
            "https://example.com/d",
        ],
    ));
    let links = succeeded(&demo(
        dir.path(),
        &["show-ipd-third-party-associated", "--issue-id", &issue],
    ));
    assert_eq!(
        links["result"]["data"]["result"][0]["title"], "Design",
        "{links}"
    );
}

/// A refused connection says where and why, without the path or query.
#[test]
fn a_refused_connection_names_the_address_and_the_cause() {
    let output = run(&[
        "--endpoint",
        "http://127.0.0.1:9",
        "--project-id",
        "p",
        "list-ipd-labels",
        "--title",
        "secret-looking-query",
    ]);
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("secret-looking-query"), "{stderr}");
    // Said once: the cause is not repeated by the error's chain.
    assert_eq!(stderr.matches("Connection refused").count(), 1, "{stderr}");
}

/// A batch the service answers with 200 but some items failed: the answer
/// on stdout, the failures counted on stderr, and exit status 6.
#[test]
fn a_batch_with_failed_items_exits_6_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let item = succeeded(&demo(
        dir.path(),
        &[
            "create-ipd-project-issue",
            "--title",
            "Kept",
            "--description",
            "-",
        ],
    ));
    let id = item["result"][0]["id"].as_str().unwrap().to_string();
    let output = demo(
        dir.path(),
        &[
            "batch-update-ipd-issues",
            "--id",
            &id,
            "--id",
            "1100000000000009999",
            "--attribute",
            r#"{"priority": "高"}"#,
        ],
    );
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let answer = stdout_json(&output).remove(0);
    assert_eq!(
        answer["result"][0]["failed"][0]["id"], "1100000000000009999",
        "{answer}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 item(s) failed"), "{stderr}");
    assert!(
        stderr.contains("1100000000000009999"),
        "the failed item itself: {stderr}"
    );
    // All items done: exit 0.
    let output = demo(
        dir.path(),
        &[
            "batch-update-ipd-issues",
            "--id",
            &id,
            "--attribute",
            r#"{"priority": "低"}"#,
        ],
    );
    assert!(output.status.success(), "{output:?}");
}

/// `--body` and `--form` only where the operation takes such a body; an
/// object field's flag lists its fields.
#[test]
fn help_offers_only_the_body_an_operation_takes() {
    let help = |op: &str| String::from_utf8_lossy(&run(&[op, "--help"]).stdout).into_owned();
    let get = help("list-ipd-labels");
    assert!(!get.contains("--body") && !get.contains("--form"), "{get}");
    let json = help("create-ipd-label");
    assert!(
        json.contains("--body") && !json.contains("--form"),
        "{json}"
    );
    let form = help("create-ipd-project-issue-attachment");
    assert!(
        form.contains("--form") && !form.contains("--body <"),
        "{form}"
    );
    let update = help("batch-update-ipd-issues");
    // (In the spec's order or by name: that depends on serde_json's
    // `preserve_order`, which the workspace's other members enable.)
    assert!(update.contains("A JSON object with: "), "{update}");
    assert!(update.contains("analyse_owner (object)"), "{update}");
    assert!(update.contains("priority (string)"), "{update}");
}

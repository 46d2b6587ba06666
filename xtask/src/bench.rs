//! `cargo xtask bench`: the performance figures in benches/README.md.
//!
//! - code generation of the real spec, in process, median of many runs;
//! - a streamed upload of a large file by the `ipd` example (release build)
//!   to the emulator on loopback: wall time and the client's peak RSS;
//! - the same upload by `curl -F`, for comparison;
//! - the emulator's store at 10,000 work items (`emulator/examples/
//!   store_latency.rs`): adding a comment, and querying page 50.
//!
//! Nothing here is asserted: it prints figures to compare by eye.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const AK: &str = "BENCHAK0000000000001";
const SK: &str = "bench-secret-key";
const TOKEN: &str = "bench-token";

pub fn run(root: &Path, size_mib: u64, runs: usize) -> anyhow::Result<()> {
    codegen(root)?;
    crate_build(root)?;

    eprintln!("building release binaries...");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "ipd-cli",
            "-p",
            "ipd-emulator",
        ])
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let release = root.join("target/release");
    // tmpfs keeps the disk out of the measurement where the machine has one.
    let scratch_base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let scratch = scratch_base.join(format!("ipd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = upload(&release, &scratch, size_mib, runs);
    let _ = std::fs::remove_dir_all(&scratch);
    result?;
    store_latency(root)
}

/// The store's figures, on disk (its fsyncs are part of what is measured).
fn store_latency(root: &Path) -> anyhow::Result<()> {
    eprintln!("measuring the emulator's store at 10,000 work items...");
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "ipd-emulator",
            "--example",
            "store_latency",
            "--",
        ])
        .arg(std::env::temp_dir())
        .status()?;
    if !status.success() {
        bail!("the store latency example failed");
    }
    Ok(())
}

fn codegen(root: &Path) -> anyhow::Result<()> {
    let spec = root.join("spec/ipdprojectservice.yaml");
    let name = "spec/ipdprojectservice.yaml";
    ipd_codegen::generate_file(&spec, name)?; // warm-up
    let mut times: Vec<Duration> = (0..30)
        .map(|_| {
            let start = Instant::now();
            let out = ipd_codegen::generate_file(&spec, name);
            let elapsed = start.elapsed();
            drop(out);
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "codegen of spec/ipdprojectservice.yaml and its fragments, files read included: median {:.1} ms, min {:.1} ms, max {:.1} ms (30 runs, this build's profile)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
    Ok(())
}

/// The generated crate's size, and what building it costs once its
/// dependencies are built: wall time and rustc's peak memory (through GNU
/// time, whose figure covers cargo's children).
pub fn crate_build(root: &Path) -> anyhow::Result<()> {
    let generated = std::fs::read_to_string(root.join("generated/src/generated/mod.rs"))?;
    println!(
        "generated/src/generated/mod.rs: {} lines, {} operations",
        generated.lines().count(),
        generated.matches("pub async fn send(").count()
    );
    let cargo = |profile: &[&str]| {
        let mut command = Command::new("/usr/bin/time");
        command
            .current_dir(root)
            .args([
                "-f",
                "%e %M",
                env!("CARGO"),
                "build",
                "--quiet",
                "-p",
                "codearts-req",
            ])
            .args(profile);
        command
    };
    for (name, profile) in [("dev", &[][..]), ("release", &["--release"][..])] {
        // Dependencies first, then the crate alone.
        let status = cargo(profile).stderr(Stdio::null()).status();
        if !status.is_ok_and(|s| s.success()) {
            println!(
                "crate build ({name}): not measured (needs /usr/bin/time and a working build)"
            );
            continue;
        }
        let lib = root.join("generated/src/lib.rs");
        std::fs::File::options()
            .append(true)
            .open(&lib)?
            .set_modified(std::time::SystemTime::now())?;
        let output = cargo(profile).output()?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut figures = stderr.lines().last().unwrap_or_default().split_whitespace();
        let seconds: f64 = figures
            .next()
            .and_then(|f| f.parse().ok())
            .unwrap_or(f64::NAN);
        let kib: f64 = figures
            .next()
            .and_then(|f| f.parse().ok())
            .unwrap_or(f64::NAN);
        println!(
            "cargo build -p codearts-req ({name}, dependencies built): {seconds:.1} s, peak rustc RSS {:.0} MiB",
            kib / 1024.0
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn upload(release: &Path, scratch: &Path, size_mib: u64, runs: usize) -> anyhow::Result<()> {
    let file = scratch.join("payload.bin");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
        for _ in 0..size_mib {
            out.write_all(&block)?;
        }
        out.flush()?;
    }
    let size = size_mib * 1024 * 1024;

    let mut emulator = Command::new(release.join("ipd-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--access-key",
            AK,
            "--secret-key",
            SK,
            "--token",
            TOKEN,
        ])
        .arg("--data-dir")
        .arg(scratch.join("data"))
        .args(["--max-attachment-bytes", &(size * 2).to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the emulator")?;
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(emulator.stdout.take().context("emulator stdout")?)
            .read_line(&mut line)?;
        line.trim()
            .strip_prefix("listening on ")
            .context("emulator start-up line")?
            .to_string()
    };
    let upload_url = format!("{url}/v1/ipdprojectservice/projects/p/issues/i/attachments/upload");

    let mut ours = Vec::new();
    let mut curl = Vec::new();
    // Stored uploads would pile up (in RAM, on tmpfs); drop each one.
    let attachments = scratch.join("data/attachments");
    let clear = || -> std::io::Result<()> {
        for entry in std::fs::read_dir(&attachments)? {
            std::fs::remove_file(entry?.path())?;
        }
        Ok(())
    };
    let result = (|| -> anyhow::Result<()> {
        for _ in 0..runs {
            let mut command = Command::new(release.join("ipd"));
            command
                .args([
                    "upload",
                    "--endpoint",
                    &url,
                    "--project-id",
                    "p",
                    "--issue-id",
                    "i",
                ])
                .arg(&file)
                .env("CLOUD_SDK_AK", AK)
                .env("CLOUD_SDK_SK", SK)
                .stdout(Stdio::null());
            ours.push(measure(command)?);
            clear()?;
            let mut command = Command::new("curl");
            command
                .args([
                    "-sS",
                    "-f",
                    "-o",
                    "/dev/null",
                    "-H",
                    &format!("X-Auth-Token: {TOKEN}"),
                ])
                .arg("-F")
                .arg(format!("attachment=@{}", file.display()))
                .arg(&upload_url);
            curl.push(measure(command)?);
            clear()?;
        }
        Ok(())
    })();
    // Downloads of one stored copy, alternated with curl's.
    let downloads = result.and_then(|()| download(release, scratch, &file, &url, runs));
    let _ = emulator.kill();
    let _ = emulator.wait();
    downloads?;

    let report = |name: &str, runs: &mut Vec<(Duration, u64)>| {
        runs.sort();
        let (time, _) = runs[runs.len() / 2];
        let peak = runs.iter().map(|(_, rss)| *rss).max().unwrap_or(0);
        let (fastest, slowest) = (runs[0].0, runs[runs.len() - 1].0);
        println!(
            "{name}: {size_mib} MiB in {:.2} s median (min {:.2}, max {:.2}; {:.0} MiB/s), peak RSS {:.1} MiB ({} runs)",
            time.as_secs_f64(),
            fastest.as_secs_f64(),
            slowest.as_secs_f64(),
            size_mib as f64 / time.as_secs_f64(),
            peak as f64 / 1024.0,
            runs.len()
        );
        time
    };
    let ours_time = report("codearts-req (ipd command)", &mut ours);
    let curl_time = report("curl -F", &mut curl);
    println!(
        "codearts-req takes {:.0}% of curl's time",
        100.0 * ours_time.as_secs_f64() / curl_time.as_secs_f64()
    );
    Ok(())
}

/// Uploads `file` once, then downloads it `runs` times with `ipd download`
/// (atomic, fsynced) and with `curl -o`, alternately, and reports wall and
/// CPU time (user + system, from GNU time) of each.
fn download(
    release: &Path,
    scratch: &Path,
    file: &Path,
    url: &str,
    runs: usize,
) -> anyhow::Result<()> {
    let output = Command::new(release.join("ipd"))
        .args([
            "upload",
            "--endpoint",
            url,
            "--project-id",
            "p",
            "--issue-id",
            "i",
        ])
        .arg(file)
        .env("CLOUD_SDK_AK", AK)
        .env("CLOUD_SDK_SK", SK)
        .output()?;
    if !output.status.success() {
        bail!("upload for the download bench failed");
    }
    let line = String::from_utf8_lossy(&output.stdout);
    let id = line
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the uploaded attachment's id")?
        .to_string();
    let target = scratch.join("downloaded.bin");
    let download_url = format!("{url}/v1/ipdprojectservice/projects/p/attachments/download/{id}");
    let (mut ours, mut curl) = (Vec::new(), Vec::new());
    // Each run writes a new file, as a user's download does, so that
    // neither client replaces an old copy: `ipd` keeps one until the new
    // file is complete, curl truncates it first, and the two cost different
    // amounts of fresh tmpfs pages (benches/README.md).
    let fresh = || {
        std::fs::remove_file(&target).or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(e),
        })
    };
    for _ in 0..runs {
        fresh()?;
        let mut command = Command::new(release.join("ipd"));
        command
            .args([
                "download",
                "--endpoint",
                url,
                "--project-id",
                "p",
                "--force",
                "--attachment-id",
                &id,
                "-o",
            ])
            .arg(&target)
            .env("CLOUD_SDK_AK", AK)
            .env("CLOUD_SDK_SK", SK)
            .stdout(Stdio::null());
        ours.push(time(command)?);
        fresh()?;
        let mut command = Command::new("curl");
        command
            .args(["-sS", "-f", "-H", &format!("X-Auth-Token: {TOKEN}"), "-o"])
            .arg(&target)
            .arg(&download_url);
        curl.push(time(command)?);
    }
    // Wall and CPU medians apart, and the spread: the goal is a steady
    // median and a slowest run near curl's slowest.
    let spread = |runs: &[(f64, f64)], pick: fn(&(f64, f64)) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        (
            values[values.len() / 2],
            values[0],
            values[values.len() - 1],
        )
    };
    let (ours_wall, ours_cpu) = (spread(&ours, |r| r.0), spread(&ours, |r| r.1));
    let (curl_wall, curl_cpu) = (spread(&curl, |r| r.0), spread(&curl, |r| r.1));
    println!(
        "download, ipd: {:.2} s wall (min {:.2}, max {:.2}), {:.2} s CPU (min {:.2}, max {:.2}); \
         curl -o: {:.2} s wall (min {:.2}, max {:.2}), {:.2} s CPU (min {:.2}, max {:.2}) ({runs} runs each)",
        ours_wall.0,
        ours_wall.1,
        ours_wall.2,
        ours_cpu.0,
        ours_cpu.1,
        ours_cpu.2,
        curl_wall.0,
        curl_wall.1,
        curl_wall.2,
        curl_cpu.0,
        curl_cpu.1,
        curl_cpu.2,
    );
    println!(
        "download, ipd/curl: median {:.0}% wall, {:.0}% CPU; slowest {:.0}% of curl's slowest",
        100.0 * ours_wall.0 / curl_wall.0,
        100.0 * ours_cpu.0 / curl_cpu.0,
        100.0 * ours_wall.2 / curl_wall.2,
    );
    Ok(())
}

/// Runs a command under GNU time: wall and CPU (user + system) seconds.
fn time(command: Command) -> anyhow::Result<(f64, f64)> {
    let report = std::env::temp_dir().join(format!("ipd-bench-time-{}", std::process::id()));
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S", "-o"])
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args())
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdout(Stdio::null())
        .status()
        .context("running /usr/bin/time")?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    let text = std::fs::read_to_string(&report)?;
    let _ = std::fs::remove_file(&report);
    let figures: Vec<f64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match figures[..] {
        [wall, user, system] => Ok((wall, user + system)),
        _ => bail!("unexpected GNU time output: {text}"),
    }
}

/// Runs a command, returning its wall time and peak RSS in KiB.
///
/// The peak is the child's `VmHWM`, polled from /proc while it runs.
/// (`wait4`'s `ru_maxrss` would not do: Linux carries the parent's RSS at
/// `fork` across `exec` into the child's figure.)
fn measure(mut command: Command) -> anyhow::Result<(Duration, u64)> {
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("running {command:?}"))?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if let Some(hwm) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(hwm);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok((elapsed, peak))
}

//! `cargo xtask codegen [--check] [-v]`: regenerates, from `spec/`, the
//! client (`generated/`), the bundled spec and the operations table that
//! the emulator and the CLI read (`catalogue/`), the test code
//! derived from the specs (`tests/generated/`, see [`test_code`]), and the
//! drafts of the fixture reference pages (`tests/fixtures/pages/drafts/`,
//! see [`import`]). `cargo xtask import PAGE…` drafts new operations,
//! `cargo xtask sdk-audit` compares the spec with the official SDK
//! ([`sdk`]).
//!
//! Everything is generated in memory first; only when every spec generated
//! cleanly are files written, each through a temporary file and a rename, so
//! an error never leaves a generated file half-written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod bench;
mod import;
mod sdk;
mod test_code;

/// The spec and the files generated from it, relative to the workspace
/// root: the client's code, and the spec bundled into one JSON document,
/// which the catalogue crate ships for the emulator and the CLI to read.
const SPEC: &str = "spec/ipdprojectservice.yaml";
const CLIENT: &str = "generated/src/generated/mod.rs";
const BUNDLE: &str = "catalogue/src/openapi.json";
const TABLE: &str = "catalogue/src/operations.rs";

#[derive(Parser)]
#[command(about = "Automation for the codearts-req workspace")]
struct Cli {
    /// The workspace to work on (default: the one this xtask was built
    /// in), for running a built xtask on another checkout.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the client crate's generated code from the spec.
    Codegen {
        /// Write nothing; fail with a diff if the checked-in code is stale.
        #[arg(long)]
        check: bool,
        /// Print the full unified diff rather than a summary (with --check).
        #[arg(short, long)]
        verbose: bool,
    },
    /// Draft the spec of newly documented operations from saved API
    /// reference pages; for operations the spec has, print how the page
    /// and the spec differ instead.
    Import {
        /// Saved pages (text copied from a browser, either rendering).
        #[arg(required_unless_present = "sdk")]
        pages: Vec<PathBuf>,
        /// Draft these operations of the official SDK (its names, as
        /// `CreatePlans`, comma-separated or repeated; `missing` for every
        /// one in scope the spec lacks), each merged with the given page of
        /// the same route: shapes from the SDK, descriptions, constraints
        /// and enums from the page.
        #[arg(long, value_name = "OP", value_delimiter = ',')]
        sdk: Vec<String>,
        /// Write the draft here instead of to stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare the spec with the official Python SDK: every operation in
    /// scope, parameter, body field and answer field. Fails on any
    /// difference not listed in spec/sdk-differences.yaml. Needs python3
    /// and PyPI (the SDK is installed into target/tmp).
    SdkAudit {
        /// Also read this newer release of the SDK: print what it changed,
        /// and how the spec compares with it.
        #[arg(long, value_name = "X")]
        sdk_version: Option<String>,
    },
    /// Measure code generation, and upload memory and throughput against curl.
    Bench {
        /// Size of the uploaded file, in MiB.
        #[arg(long, default_value_t = 1024)]
        size_mib: u64,
        /// Uploads per client; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    quiet_generator_panics();
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(workspace_root);
    let result = match cli.command {
        Command::Codegen { check, verbose } => codegen(&root, check, verbose),
        Command::Import { pages, sdk, output } => {
            import::run(&root, &pages, &sdk, output.as_deref()).map(|()| true)
        }
        Command::SdkAudit { sdk_version } => sdk::run(&root, sdk_version.as_deref()),
        Command::Bench { size_mib, runs } => {
            bench::run(&root, size_mib, runs.max(1)).map(|()| true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The code generator reports a panic of progenitor's as an error with a
/// location; its default message on stderr would only repeat it. Panics on
/// any other thread are reported as usual.
fn quiet_generator_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(ipd_codegen::GENERATOR_THREAD) {
            default(info);
        }
    }));
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// One generated file: where it goes, what it should hold, what it holds now.
struct Output {
    path: PathBuf,
    display: String,
    expected: String,
    actual: Option<String>,
}

fn generate_all(root: &Path) -> anyhow::Result<Vec<Output>> {
    // The spec is read, validated and lowered once; everything below is
    // made from that one reading.
    let spec = ipd_codegen::Spec::read(&root.join(SPEC), SPEC)?;
    // The client (typify and prettyplease, most of the time) on a thread
    // of its own, the rest on this one: two cores, half the wait.
    let (client, mut rest) = std::thread::scope(|scope| {
        let client = scope.spawn(|| spec.generate());
        let rest = other_outputs(root, &spec);
        let client = client
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (client, rest)
    });
    let client = client?;
    let mut files = vec![(CLIENT.to_string(), client.code)];
    files.append(rest.as_mut().map_err(|e| anyhow::anyhow!("{e:#}"))?);
    if root.join(test_code::FIXTURES).is_dir() {
        files.push((
            format!("{}/enums.rs", test_code::DIR),
            test_code::enums(&client.string_enums),
        ));
    }
    Ok(files
        .into_iter()
        .map(|(display, expected)| {
            let path = root.join(&display);
            let actual = std::fs::read_to_string(&path).ok();
            Output {
                path,
                display,
                expected,
                actual,
            }
        })
        .collect())
}

/// Everything but the client: the bundle and the operations table, the
/// fixture specs' clients, the test code, the fixture pages' drafts.
fn other_outputs(root: &Path, spec: &ipd_codegen::Spec) -> anyhow::Result<Vec<(String, String)>> {
    let bundle = spec.bundle();
    let mut files = vec![
        (BUNDLE.into(), serde_json::to_string_pretty(bundle)? + "\n"),
        (TABLE.into(), spec.operations_table()),
    ];
    if root.join(test_code::FIXTURES).is_dir() {
        for fixture in test_code::fixture_specs(root)? {
            let code = ipd_codegen::generate_file(&root.join(&fixture), &fixture)?;
            files.push((test_code::fixture_output(&fixture), code));
        }
        let dir = test_code::DIR;
        files.push((format!("{dir}/examples.rs"), test_code::examples(spec)?));
        files.push((format!("{dir}/operations.rs"), test_code::operations(spec)?));
        files.push((format!("{dir}/dispatch.rs"), test_code::dispatch(spec)?));
    }
    if root.join(import::PAGES).is_dir() {
        files.extend(import::fixture_outputs(root, bundle)?);
    }
    Ok(files)
}

/// Returns whether everything is (now) up to date.
fn codegen(root: &Path, check: bool, verbose: bool) -> anyhow::Result<bool> {
    let outputs = generate_all(root)?;
    let stale: Vec<&Output> = outputs
        .iter()
        .filter(|o| o.actual.as_deref() != Some(o.expected.as_str()))
        .collect();
    if check {
        for output in &stale {
            eprintln!(
                "{} is stale; run `cargo xtask codegen` and commit the result.",
                output.display
            );
            let diff = unified_diff(output);
            if verbose || diff.lines().count() <= 200 {
                eprint!("{diff}");
            } else {
                let head: Vec<&str> = diff.lines().take(200).collect();
                eprintln!(
                    "{}\n... (diff truncated; pass -v for all of it)",
                    head.join("\n")
                );
            }
        }
        return Ok(stale.is_empty());
    }
    for output in &stale {
        write_atomically(&output.path, &output.expected)
            .with_context(|| format!("writing {}", output.display))?;
        eprintln!("updated {}", output.display);
    }
    if stale.is_empty() {
        eprintln!("generated code is up to date");
    }
    Ok(true)
}

fn unified_diff(output: &Output) -> String {
    let old = output.actual.as_deref().unwrap_or("");
    similar::TextDiff::from_lines(old, &output.expected)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{} (checked in)", output.display),
            &format!("b/{} (from the spec)", output.display),
        )
        .to_string()
}

fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    let result = std::fs::write(&tmp, contents).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain `cargo test` fails when the spec was edited without regenerating.
    #[test]
    fn generated_code_is_fresh() {
        for output in generate_all(&workspace_root()).unwrap() {
            assert!(
                output.actual.as_deref() == Some(output.expected.as_str()),
                "{} is stale; run `cargo xtask codegen`.\n{}",
                output.display,
                unified_diff(&output)
            );
        }
    }

    /// The client crate declares each area the spec names as a cargo
    /// feature, and builds every one by default; its other features are
    /// the TLS backends and umbrellas made of areas only.
    #[test]
    fn the_client_crate_declares_every_area_as_a_feature() {
        let root = workspace_root();
        let spec = ipd_codegen::Spec::read(&root.join(SPEC), SPEC).unwrap();
        let areas: Vec<String> = spec.features();
        assert!(!areas.is_empty());
        let output = std::process::Command::new(env!("CARGO"))
            .current_dir(&root)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .output()
            .unwrap();
        assert!(output.status.success());
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let package = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "codearts-req")
            .unwrap();
        let features = package["features"].as_object().unwrap();
        let list = |name: &str| -> Vec<String> {
            features[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect()
        };
        // Every area, enabled by default directly or through an umbrella.
        let default = list("default");
        for area in &areas {
            assert_eq!(list(area), Vec::<String>::new(), "feature {area}");
            let on = default.contains(area)
                || default
                    .iter()
                    .any(|d| features.contains_key(d) && list(d).contains(area));
            assert!(on, "{area} is not built by default");
        }
        for (name, _) in features {
            let known = ["default", "rustls", "native-tls"].contains(&name.as_str())
                || areas.contains(name)
                || list(name).iter().all(|f| areas.contains(f));
            assert!(known, "feature {name} is neither an area nor made of areas");
        }
    }

    #[test]
    fn check_mode_writes_nothing_and_reports_drift() {
        let dir = std::env::temp_dir().join(format!("xtask-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let spec_path = dir.join(SPEC);
        std::fs::create_dir_all(spec_path.parent().unwrap()).unwrap();
        std::fs::copy(workspace_root().join(SPEC), &spec_path).unwrap();
        let fragments = workspace_root().join(SPEC.trim_end_matches(".yaml"));
        let fragment_dir = spec_path.with_extension("");
        std::fs::create_dir_all(&fragment_dir).unwrap();
        for entry in std::fs::read_dir(fragments).unwrap() {
            let entry = entry.unwrap().path();
            std::fs::copy(&entry, fragment_dir.join(entry.file_name().unwrap())).unwrap();
        }
        let out_path = dir.join(CLIENT);
        std::fs::create_dir_all(out_path.parent().unwrap()).unwrap();
        std::fs::write(&out_path, "// stale\n").unwrap();
        assert!(
            !codegen(&dir, true, false).unwrap(),
            "stale output passed --check"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(CLIENT)).unwrap(),
            "// stale\n"
        );
        assert!(codegen(&dir, false, false).unwrap());
        assert!(
            codegen(&dir, true, false).unwrap(),
            "fresh output failed --check"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_spec_writes_nothing() {
        let dir = std::env::temp_dir().join(format!("xtask-bad-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (spec, out) = (SPEC, CLIENT);
        std::fs::create_dir_all(dir.join(spec).parent().unwrap()).unwrap();
        std::fs::create_dir_all(dir.join(out).parent().unwrap()).unwrap();
        std::fs::write(dir.join(spec), "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x: {get: {responses: {'200': {description: ok}}}}\n").unwrap();
        std::fs::write(dir.join(out), "// previous\n").unwrap();
        let error = codegen(&dir, false, false).unwrap_err().to_string();
        assert!(
            error.contains(spec) && error.contains("operationId"),
            "{error}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(out)).unwrap(),
            "// previous\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.join(out).parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Dependencies flow one way: no workspace crate depends on itself
    /// through the others, dev- and build-dependencies included (a dev
    /// cycle links a crate's tests against another copy of it, and
    /// rebuilds the world when it changes).
    #[test]
    fn no_two_workspace_crates_depend_on_each_other() {
        let output = std::process::Command::new(env!("CARGO"))
            .current_dir(workspace_root())
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let packages = metadata["packages"].as_array().unwrap();
        let ours: std::collections::BTreeSet<&str> =
            packages.iter().filter_map(|p| p["name"].as_str()).collect();
        let edges: std::collections::BTreeMap<&str, Vec<&str>> = packages
            .iter()
            .map(|p| {
                let deps = p["dependencies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["name"].as_str())
                    .filter(|d| ours.contains(d))
                    .collect();
                (p["name"].as_str().unwrap(), deps)
            })
            .collect();
        // From each crate, every crate it reaches; reaching itself is a cycle.
        for start in &ours {
            let mut stack: Vec<Vec<&str>> = vec![vec![start]];
            let mut seen = std::collections::BTreeSet::new();
            while let Some(path) = stack.pop() {
                for next in &edges[path.last().unwrap()] {
                    let mut longer = path.clone();
                    longer.push(next);
                    assert!(next != start, "a dependency cycle: {}", longer.join(" -> "));
                    if seen.insert(*next) {
                        stack.push(longer);
                    }
                }
            }
        }
    }

    /// The declared `rust-version` is what the dependency tree really
    /// needs: no dependency declares a newer one. (No second toolchain can
    /// be installed here to `cargo +MSRV check`; the declarations are the
    /// next best proof.) Every platform's dependencies count, so cargo may
    /// have to fetch the manifests of crates this machine never builds
    /// (`windows-sys`, ...): without the registry the test says so and
    /// passes, unless `IPD_REQUIRE_REGISTRY=1` (as in CI) makes it fail.
    #[test]
    fn the_declared_msrv_covers_every_dependency() {
        let metadata = |offline: bool| {
            let mut command = std::process::Command::new(env!("CARGO"));
            command.current_dir(workspace_root()).args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
            ]);
            if offline {
                command.arg("--offline");
            }
            command.output().unwrap()
        };
        let mut output = metadata(true);
        if !output.status.success() {
            output = metadata(false);
        }
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let unreachable = [
                "failed to download",
                "failed to query",
                "HTTP",
                "network",
                "resolve",
            ]
            .iter()
            .any(|s| stderr.contains(s));
            if unreachable && std::env::var_os("IPD_REQUIRE_REGISTRY").is_none() {
                eprintln!(
                    "skipped: the MSRV check needs crates.io to read every platform's manifests ({})",
                    stderr.lines().last().unwrap_or_default()
                );
                return;
            }
            panic!("cargo metadata failed: {stderr}");
        }
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // "1.89" is "1.89.0": missing parts are zeros.
        let version = |v: &str| -> [u32; 3] {
            let mut parts = v.split('.').map(|p| p.parse().unwrap());
            [(); 3].map(|()| parts.next().unwrap_or(0))
        };
        let packages = metadata["packages"].as_array().unwrap();
        let ours = packages
            .iter()
            .find(|p| p["name"] == "codearts-req")
            .and_then(|p| p["rust_version"].as_str())
            .expect("codearts-req declares a rust-version");
        let newest = packages
            .iter()
            .filter_map(|p| Some((p["rust_version"].as_str()?, p["name"].as_str()?)))
            .max_by_key(|(v, _)| version(v))
            .unwrap();
        assert!(
            version(newest.0) <= version(ours),
            "{} needs Rust {}, but the workspace declares {ours}",
            newest.1,
            newest.0
        );
    }
}

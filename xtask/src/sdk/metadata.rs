//! The official Python SDK's own description of its operations and models,
//! as `sdk_metadata.py` reads it from the SDK's `_<op>_http_info`,
//! `openapi_types` and `attribute_map`, in a virtual environment with
//! exactly the version asked for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Reads the installed SDK and prints [`Metadata`] as JSON.
const SCRIPT: &str = include_str!("sdk_metadata.py");

/// The tests' Python requirements, which pin the SDK the spec is audited
/// against: the one place that names the version.
pub const REQUIREMENTS: &str = "tests/python/requirements.txt";

/// The SDK's package on PyPI.
const PACKAGE: &str = "huaweicloudsdkprojectman";

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub package: String,
    pub version: String,
    /// By name.
    pub operations: Vec<Operation>,
    /// Every model an operation reaches, by class name.
    pub models: BTreeMap<String, Model>,
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    /// The request class's name without `Request`: the spec's operationId.
    pub name: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<Param>,
    /// The Content-Type the SDK sends (lower-cased by the SDK).
    pub content_type: Option<String>,
    pub body: Option<Body>,
    /// The parts of a form, from the body model's fields.
    pub form: Vec<FormField>,
    pub response: ResponseInfo,
}

#[derive(Debug, Deserialize)]
pub struct Param {
    pub name: String,
    #[serde(rename = "in")]
    pub location: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Deserialize)]
pub struct Body {
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Deserialize)]
pub struct FormField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Deserialize)]
pub struct ResponseInfo {
    /// The `<Op>Response` class.
    #[serde(rename = "type")]
    pub ty: String,
    /// The answer is bytes (a download), not JSON.
    pub stream: bool,
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub fields: Vec<ModelField>,
}

#[derive(Debug, Deserialize)]
pub struct ModelField {
    pub json: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub required: bool,
    pub description: String,
}

impl Metadata {
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method) && o.path == path)
    }
}

/// The SDK version the spec is audited against, from [`REQUIREMENTS`].
pub fn pinned_version(root: &Path) -> anyhow::Result<String> {
    let path = root.join(REQUIREMENTS);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .find_map(|l| l.trim().strip_prefix(PACKAGE)?.strip_prefix("=="))
        .map(|v| v.trim().to_string())
        .with_context(|| format!("{} pins no `{PACKAGE}==VERSION`", path.display()))
}

/// A version as pip takes it, and nothing that could be read as an option
/// or a path.
fn check_version(version: &str) -> anyhow::Result<()> {
    let ok = !version.is_empty()
        && version.len() <= 32
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    if !ok {
        bail!("`{version}` is not an SDK version such as 3.1.219");
    }
    Ok(())
}

/// The build's target directory: the nearest ancestor of this executable
/// that cargo marked as one, else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|d| d.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The python of a virtual environment holding SDK `version`, installed
/// from PyPI the first time. The pinned version shares the tests' venv
/// (`target/tmp/python-venv`, from [`REQUIREMENTS`]); another gets one of
/// its own.
pub fn python(root: &Path, version: &str) -> anyhow::Result<PathBuf> {
    check_version(version)?;
    let tmp = target_dir(root).join("tmp");
    let (venv, wanted) = if version == pinned_version(root)? {
        let path = root.join(REQUIREMENTS);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        (tmp.join("python-venv"), text)
    } else {
        (
            tmp.join(format!("sdk-venv-{version}")),
            format!("{PACKAGE}=={version}\nhuaweicloudsdkcore=={version}\n"),
        )
    };
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    std::fs::create_dir_all(&venv).with_context(|| format!("creating {}", venv.display()))?;
    let status = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        bail!("`python3 -m venv` failed: is python3 installed?");
    }
    let requirements = venv.join("requirements.txt");
    std::fs::write(&requirements, &wanted)?;
    let output = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements)
        .output()
        .context("running pip")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        bail!("pip could not install {PACKAGE} {version} (is PyPI reachable?): {last}");
    }
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

/// Reads the metadata of the SDK that `python` has installed.
pub fn read(python: &Path) -> anyhow::Result<Metadata> {
    let mut child = Command::new(python)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", python.display()))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("python's stdin")?;
        stdin.write_all(SCRIPT.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "reading the SDK's metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).context("the SDK metadata script's output")?;
    Ok(metadata)
}

/// The metadata of SDK `version`, installing it if needed.
pub fn load(root: &Path, version: &str) -> anyhow::Result<Metadata> {
    read(&python(root, version)?)
}

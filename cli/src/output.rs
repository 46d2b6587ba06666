//! What the command prints and writes: progress bars and lines on stderr
//! (on a terminal only), JSON lines on stdout with every control
//! character escaped, and download targets that are never replaced
//! silently.

use std::io::IsTerminal;
use std::path::PathBuf;

use codearts_req::printable;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::failure::Failure;

pub(crate) fn progress_bars() -> MultiProgress {
    if std::io::stderr().is_terminal() {
        MultiProgress::new()
    } else {
        MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    }
}

pub(crate) fn bar(bars: &MultiProgress, len: u64, name: &str) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:30!} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(name.to_string());
    bar
}

/// Prints one line of JSON. serde_json escapes only C0 controls; DEL, C1
/// controls (U+009B starts an escape sequence on some terminals) and bidi
/// overrides in service text are escaped too, which keeps the JSON valid.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let line = serde_json::to_string(value).map_err(|e| e.to_string())?;
    println!("{}", escape_json_controls(&line));
    Ok(())
}

/// A line on stderr that says how far a long listing got: only on a
/// terminal, cleared at the end.
pub(crate) fn progress_line() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let line = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    line.enable_steady_tick(std::time::Duration::from_millis(200));
    line
}

pub(crate) fn escape_json_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The default download path: the attachment ID as a file name in the
/// current directory, if it is one (an ID from the service could be `..`,
/// absolute, or hold separators).
pub(crate) fn default_output(attachment_id: &str) -> Result<PathBuf, Failure> {
    let plain = !attachment_id.is_empty()
        && attachment_id != "."
        && attachment_id != ".."
        && !attachment_id.contains(['/', '\\'])
        && !attachment_id.chars().any(char::is_control);
    if plain {
        Ok(PathBuf::from(attachment_id))
    } else {
        Err(Failure::usage(format!(
            "the attachment ID `{}` is not a plain file name; give the output path with -o",
            printable(attachment_id)
        )))
    }
}

/// Refuses a download target that would be replaced silently: an existing
/// file without `--force`, and never a link, device, FIFO or directory.
pub(crate) fn check_output(output: &std::path::Path, force: bool) -> Result<(), Failure> {
    let shown = || printable(&output.display().to_string()).into_owned();
    match std::fs::symlink_metadata(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::local(format!("cannot check {}: {e}", shown()))),
        Ok(meta) if meta.file_type().is_file() && force => Ok(()),
        Ok(meta) if meta.file_type().is_file() => Err(Failure::local(format!(
            "{} exists; give --force to replace it",
            shown()
        ))),
        Ok(_) => Err(Failure::local(format!(
            "{} exists and is not a regular file (a link, device, FIFO or directory); \
             it is never replaced",
            shown()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn printed_json_escapes_every_control_and_bidi_override() {
        let text = "a\u{7f}b\u{9b}31mc\u{202e}d\u{2066}e\té";
        let json = serde_json::to_string(&serde_json::json!({ "m": text })).unwrap();
        let printed = super::escape_json_controls(&json);
        assert_eq!(printed, r#"{"m":"a\u007fb\u009b31mc\u202ed\u2066e\té"}"#);
        let back: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(back["m"], text);
    }
}

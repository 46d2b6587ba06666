//! JSON values as YAML in the spec's style: block mappings and sequences,
//! two-space indents, strings quoted only where YAML needs it (double
//! quotes, whose escapes are JSON's), empty collections inline.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

fn emit(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                out.push_str(&" ".repeat(indent));
                out.push_str(&key(k));
                out.push(':');
                nested(v, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                out.push_str(&" ".repeat(indent));
                out.push('-');
                match v {
                    Value::Object(map) if !map.is_empty() => {
                        // The first key on the dash's line.
                        let mut inner = String::new();
                        emit(v, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.trim_start());
                    }
                    Value::Array(items) if !items.is_empty() => {
                        out.push('\n');
                        emit(v, indent + 2, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(v));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&" ".repeat(indent));
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// A mapping's value after `key:`: inline if scalar or empty, else below.
fn nested(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            emit(v, indent + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            emit(v, indent + 2, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn key(k: &str) -> String {
    if plain(k) { k.to_string() } else { quoted(k) }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if plain(s) => s.clone(),
        Value::String(s) => quoted(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Whether a string can be written unquoted and read back as the same
/// string by any YAML reader: not a YAML 1.1 boolean word, no YAML
/// indicator or structure in it (checked by hand, as the parser would read
/// some of them as structure), and the code generator's own YAML reader
/// gives back this very string, not a number, a boolean, null, `.inf` or
/// `.nan`.
fn plain(s: &str) -> bool {
    // YAML 1.1 readers (PyYAML, so openapi-spec-validator) read these as
    // booleans or null, though the code generator keeps them strings.
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n",
    ];
    let shape = !s.is_empty()
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
        && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~ ".contains(c) || c.is_ascii_digit())
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && s.chars().all(|c| !c.is_control() && c != '\u{feff}');
    shape
        && matches!(
            ipd_codegen::parse_yaml(&format!("k: {s}\n")),
            Ok(Value::Object(map)) if map.get("k") == Some(&Value::String(s.to_string()))
        )
}

fn quoted(s: &str) -> String {
    // JSON's escapes are valid in YAML's double-quoted style.
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let value = json!({
            "openapi": "3.0.3",
            "paths": { "/a/{id}": { "get": { "parameters": [ { "name": "id", "in": "path", "required": true } ] } } },
            "strings": ["yes", "10", "a: b", "#x", "plain words", "", "line\nbreak", "-dash", "中文"],
            "empty": { "map": {}, "list": [] },
            "nested": [[1, 2], { "k": null }],
            "numbers": [1, 2.5, -3],
        });
        let text = to_yaml(&value);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
    }

    /// Strings YAML reads as something else are quoted.
    #[test]
    fn strings_that_read_as_other_types_are_quoted() {
        for s in [
            ".inf",
            "-.inf",
            "+.inf",
            ".Inf",
            ".INF",
            ".nan",
            ".NaN",
            "null",
            "Null",
            "~",
            "true",
            "False",
            "yes",
            "on",
            "0x1F",
            "0o17",
            "1_000",
            "1e3",
            "+1",
            "12:30",
            ".5",
            "2024-01-01",
        ] {
            let text = to_yaml(&json!({ "k": s }));
            assert!(text.contains('"'), "{s} written unquoted: {text}");
            let back = ipd_codegen::parse_yaml(&text).unwrap();
            assert_eq!(back["k"], s, "{text}");
        }
    }

    /// parse(emit(x)) = x, for values built at random from pieces YAML
    /// treats specially (a property test with a fixed seed, so a failure
    /// is reproducible).
    #[test]
    fn emitted_yaml_reads_back_as_the_value_for_any_value() {
        const PIECES: &[&str] = &[
            "a", "Z", "0", "9", "-", "+", ".", ".inf", ".nan", "inf", "~", "null", "yes", "No",
            "true", ":", ": ", "#", " #", "?", "[", "]", "{", "}", ",", "&", "*", "!", "|", ">",
            "'", "\"", "%", "@", "`", " ", "\t", "\n", "\\", "e", "x", "0x", "_", "中", "é",
            "\u{feff}", "\r", "---", "...",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        fn string(next: &mut impl FnMut(usize) -> usize) -> String {
            (0..next(5)).map(|_| PIECES[next(PIECES.len())]).collect()
        }
        fn value(next: &mut impl FnMut(usize) -> usize, depth: usize) -> Value {
            match next(if depth > 3 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => json!(next(2) == 0),
                2 => json!(next(1000) as i64 - 500),
                3 | 4 => json!(string(next)),
                5 => Value::Array((0..next(4)).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next(4))
                        .map(|_| (string(next), value(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        for _ in 0..3000 {
            let v = json!({ "root": value(&mut next, 0) });
            let text = to_yaml(&v);
            let back = ipd_codegen::parse_yaml(&text)
                .unwrap_or_else(|e| panic!("{e:?}\n{text}\nfrom {v}"));
            assert_eq!(back, v, "{text}");
        }
    }
}

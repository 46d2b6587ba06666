//! A description cell's parts: "Definition:", "Constraints:", "Value
//! range:" (or "Options:", "Range:") and "Default value:", as schema
//! keywords where they parse, and as description text where they do not.

use serde_json::{Map, Value, json};

/// The labels a description cell's parts start with, longest first (so
/// "Value range:" is not read as "Range:").
const LABELS: &[(&str, Part)] = &[
    ("Default value", Part::Default),
    ("Value range", Part::Range),
    ("Constraints", Part::Constraints),
    ("Definition", Part::Definition),
    ("Description", Part::Definition),
    ("Options", Part::Range),
    ("Range", Part::Range),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Definition,
    Constraints,
    Range,
    Default,
}

/// What a description cell says about its field.
#[derive(Debug, Default, PartialEq)]
pub struct Described {
    /// The description text, with what did not parse.
    pub text: String,
    /// Schema keywords (minLength, maximum, enum, default, ...).
    pub keywords: Map<String, Value>,
}

/// Splits `cell` at its labels: each part's label and text.
fn parts(cell: &str) -> Vec<(Part, String)> {
    let mut found: Vec<(usize, usize, Part)> = Vec::new();
    let mut i = 0;
    while i < cell.len() {
        let rest = &cell[i..];
        let at_word_start = i == 0 || cell[..i].ends_with(|c: char| c.is_whitespace() || c == '.');
        if at_word_start
            && let Some((label, part)) = LABELS.iter().find(|(label, _)| {
                rest.strip_prefix(label)
                    .is_some_and(|r| r.starts_with(':') || r.starts_with(" :"))
            })
        {
            let colon = rest.find(':').unwrap_or(label.len());
            found.push((i, i + colon + 1, *part));
            i += colon + 1;
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    let mut out = Vec::new();
    let lead = &cell[..found.first().map_or(cell.len(), |f| f.0)];
    if !lead.trim().is_empty() {
        out.push((Part::Definition, lead.trim().to_string()));
    }
    for (k, (_, end, part)) in found.iter().enumerate() {
        let stop = found.get(k + 1).map_or(cell.len(), |f| f.0);
        out.push((*part, cell[*end..stop].trim().to_string()));
    }
    out
}

fn is_na(text: &str) -> bool {
    let t = text.trim().trim_end_matches('.');
    t.is_empty() || t.eq_ignore_ascii_case("N/A") || t.eq_ignore_ascii_case("none")
}

/// The first number after `label` in `text` ("32,768" reads as 32768).
fn number_after(text: &str, label: &str) -> Option<i64> {
    let at = text.find(label)? + label.len();
    let digits: String = text[at..]
        .trim_start_matches([':', ' ', '\u{a0}'])
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '-')
        .filter(|c| *c != ',')
        .collect();
    digits.parse().ok()
}

/// "N to M" (the whole text, or "The value contains N to M characters").
fn range(text: &str) -> Option<(i64, i64)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let k = words.iter().position(|w| *w == "to")?;
    let num = |w: &str| {
        w.trim_matches(|c: char| !c.is_ascii_digit() && c != '-')
            .replace(',', "")
            .parse()
            .ok()
    };
    Some((num(words.get(k.checked_sub(1)?)?)?, num(words.get(k + 1)?)?))
}

/// Reads a cell for a field of JSON type `ty` ("string", "integer", ...).
pub fn describe(cell: &str, ty: &str) -> Described {
    let mut text = Vec::new();
    let mut keywords = Map::new();
    for (part, body) in parts(cell) {
        match part {
            Part::Definition => text.push(one_line(&body)),
            Part::Constraints => {
                let rest = constraints(&body, ty, &mut keywords);
                if !is_na(&rest) {
                    text.push(format!("Constraints: {}", one_line(&rest)));
                }
            }
            Part::Range => {
                if is_na(&body) {
                    continue;
                }
                if value_range(&body, ty, &mut keywords) {
                    continue;
                }
                // Some pages give lengths as the range.
                let rest = constraints(&body, ty, &mut keywords);
                if !is_na(&rest) {
                    text.push(format!("Value range: {}", one_line(&rest)));
                }
            }
            Part::Default => {
                if is_na(&body) {
                    continue;
                }
                match default(&body, ty) {
                    Some(value) => {
                        keywords.insert("default".into(), value);
                    }
                    None => text.push(format!("Default value: {}", one_line(&body))),
                }
            }
        }
    }
    Described {
        text: text.join(" ").trim().to_string(),
        keywords,
    }
}

/// Paragraphs as one line of text.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Takes the constraints that are schema keywords out of `body`; returns
/// the rest. Regular expressions stay text: the toolchain does not check
/// patterns (see the spec's conventions).
fn constraints(body: &str, ty: &str, keywords: &mut Map<String, Value>) -> String {
    let mut rest = Vec::new();
    for sentence in split_sentences(body) {
        let s = sentence.trim();
        if is_na(s) {
            continue;
        }
        let lengths = ty == "string" || ty == "array";
        let (min_key, max_key) = match ty {
            "array" => ("minItems", "maxItems"),
            "string" => ("minLength", "maxLength"),
            _ => ("minimum", "maximum"),
        };
        if lengths
            && s.starts_with("Minimum length")
            && let Some(n) = number_after(s, "Minimum length")
        {
            keywords.insert(min_key.into(), json!(n));
            continue;
        }
        if lengths
            && s.starts_with("Maximum length")
            && let Some(n) = number_after(s, "Maximum length")
        {
            keywords.insert(max_key.into(), json!(n));
            continue;
        }
        if (ty == "integer" || ty == "number")
            && s.starts_with("Minimum value")
            && let Some(n) = number_after(s, "Minimum value")
        {
            keywords.insert("minimum".into(), json!(n));
            continue;
        }
        if (ty == "integer" || ty == "number")
            && s.starts_with("Maximum value")
            && let Some(n) = number_after(s, "Maximum value")
        {
            keywords.insert("maximum".into(), json!(n));
            continue;
        }
        if s.starts_with("The value contains")
            && lengths
            && let Some((lo, hi)) = range(s)
        {
            keywords.insert(min_key.into(), json!(lo));
            keywords.insert(max_key.into(), json!(hi));
            continue;
        }
        rest.push(s.to_string());
    }
    rest.join(" ")
}

/// Sentences, and lines: a constraint per line in one rendering, per
/// sentence in the other. A regular expression keeps its dots.
fn split_sentences(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
        let mut current = String::new();
        let words: Vec<&str> = line.split_whitespace().collect();
        for (k, word) in words.iter().enumerate() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            let next_capital = words
                .get(k + 1)
                .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_uppercase()));
            if word.ends_with('.') && next_capital && !word.starts_with('^') {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// A value range as keywords: integer bounds ("1 to 100", "1-100"), or an
/// enum for a string: one value per line (`value: meaning` or the bare
/// value), or a list ("RR, IR, and SF"). False if it is prose.
fn value_range(body: &str, ty: &str, keywords: &mut Map<String, Value>) -> bool {
    let t = body.trim().trim_end_matches('.');
    if ty == "integer" || ty == "number" {
        let bounds = range(t).or_else(|| {
            let (a, b) = t.split_once('-')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        });
        if let Some((lo, hi)) = bounds
            && t.split_whitespace().count() <= 3
        {
            keywords.insert("minimum".into(), json!(lo));
            keywords.insert("maximum".into(), json!(hi));
            return true;
        }
        return false;
    }
    if ty != "string" {
        return false;
    }
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    // One value per line, each `value: meaning`.
    let described: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(v, m)| (v.trim(), m.trim()))
        .collect();
    if lines.len() >= 2 && described.len() == lines.len() && described.iter().all(|(v, _)| token(v))
    {
        keywords.insert(
            "enum".into(),
            json!(described.iter().map(|(v, _)| v).collect::<Vec<_>>()),
        );
        return true;
    }
    // Bare values, one per line.
    if lines.len() >= 2 && lines.iter().all(|l| token(l)) {
        keywords.insert("enum".into(), json!(lines));
        return true;
    }
    // On one line: "success: The response is successful. error: The response failed."
    if lines.len() == 1 {
        let pairs = inline_pairs(lines[0]);
        if pairs.len() >= 2 && pairs.iter().all(|v| token(v)) {
            keywords.insert("enum".into(), json!(pairs));
            return true;
        }
    }
    // A list: "RR, IR, AR, and SF".
    if lines.len() == 1 && lines[0].contains(',') {
        let items: Vec<&str> = lines[0]
            .split(',')
            .map(|i| i.trim().trim_start_matches("and ").trim())
            .collect();
        if items.len() >= 2 && items.iter().all(|i| token(i)) {
            keywords.insert("enum".into(), json!(items));
            return true;
        }
    }
    false
}

/// `v1: meaning one. v2: meaning two.` → [v1, v2], if the text is only that.
fn inline_pairs(line: &str) -> Vec<String> {
    let mut values = Vec::new();
    for sentence in line.split(". ") {
        match sentence.split_once(": ") {
            Some((value, _)) if !value.contains(' ') => values.push(value.to_string()),
            _ => return Vec::new(),
        }
    }
    values
}

fn default(body: &str, ty: &str) -> Option<Value> {
    let t = body.trim().trim_end_matches('.');
    match ty {
        "integer" => t.parse::<i64>().ok().map(Value::from),
        "number" => t.parse::<f64>().ok().map(Value::from),
        "boolean" => t.parse::<bool>().ok().map(Value::from),
        "string" if !t.contains(' ') => Some(Value::from(t)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_parts_become_keywords_and_the_rest_stays_text() {
        let cell = "Definition:\nPage size.\nConstraints:\nN/A\nValue range:\n1 to 100\nDefault value:\n20";
        let d = describe(cell, "integer");
        assert_eq!(d.text, "Page size.");
        assert_eq!(d.keywords["minimum"], 1);
        assert_eq!(d.keywords["maximum"], 100);
        assert_eq!(d.keywords["default"], 20);

        let one_line = "Definition: User token. Constraints: Mandatory. Range: Minimum length: 10 character. Maximum length: 32,768 characters. Default value: N/A";
        let d = describe(one_line, "string");
        assert_eq!(d.text, "User token. Constraints: Mandatory.");
        assert_eq!(
            (
                d.keywords["minLength"].clone(),
                d.keywords["maxLength"].clone()
            ),
            (json!(10), json!(32768))
        );

        let d = describe(
            "Definition: Tag title. Constraints: Minimum length: 2 characters. Maximum length: 256 characters. Options: N/A Default value: N/A",
            "string",
        );
        assert_eq!(d.text, "Tag title.");
        assert_eq!(
            (
                d.keywords["minLength"].clone(),
                d.keywords["maxLength"].clone()
            ),
            (json!(2), json!(256))
        );

        let d = describe(
            "Description: unique ID. Constraints: regular expression, ^([0-9]{18,19})$ Default value: N/A",
            "string",
        );
        assert_eq!(
            d.text,
            "unique ID. Constraints: regular expression, ^([0-9]{18,19})$"
        );
    }

    #[test]
    fn value_ranges_that_list_values_are_enums() {
        let d = describe(
            "Definition:\nResponse status.\nValue range:\nsuccess: The response is successful.\nerror: The response failed.",
            "string",
        );
        assert_eq!(d.keywords["enum"], json!(["success", "error"]));
        let d = describe(
            "Definition: Response status. Value range: success: The response is successful. error: The response failed.",
            "string",
        );
        assert_eq!(d.keywords["enum"], json!(["success", "error"]));
        let d = describe("Options:\nipd\nscrum\nxboard", "string");
        assert_eq!(d.keywords["enum"], json!(["ipd", "scrum", "xboard"]));
        let d = describe(
            "Options:\nRR, IR, AR, SR, Bug, FE, Task, US, Epic, and SF",
            "string",
        );
        assert_eq!(d.keywords["enum"].as_array().unwrap().len(), 10);
        let d = describe(
            "Options:\nFor system device projects, options include RR, SF, IR.",
            "string",
        );
        assert!(d.keywords.is_empty());
        assert!(
            d.text
                .starts_with("Value range: For system device projects")
        );
    }
}

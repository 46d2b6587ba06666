//! A page against the spec: the differences between an operation as a
//! draft has it and as the spec has it, field by field. What the page does
//! not have (a table cut off, a model without its table) is not a
//! difference.

use serde_json::Value;

/// A document and a schema in it, resolved through `$ref` and single
/// `allOf`s.
struct Doc<'a>(&'a Value);

impl<'a> Doc<'a> {
    fn resolve(&self, mut schema: &'a Value) -> (&'a Value, Option<String>) {
        let mut name = None;
        for _ in 0..16 {
            if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
                let Some(target) = r.strip_prefix('#').and_then(|p| self.0.pointer(p)) else {
                    break;
                };
                name = r.rsplit('/').next().map(str::to_string);
                schema = target;
                continue;
            }
            match schema
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([only]) => schema = only,
                _ => break,
            }
        }
        (schema, name)
    }
}

/// How a schema reads, for comparing: its type, format and enum.
fn type_of(doc: &Doc<'_>, schema: &Value) -> String {
    let (s, _) = doc.resolve(schema);
    let ty = s.get("type").and_then(Value::as_str).unwrap_or("any");
    let mut out = match (ty, s.get("format").and_then(Value::as_str)) {
        ("array", _) => format!(
            "array of {}",
            type_of(doc, s.get("items").unwrap_or(&Value::Null))
        ),
        // `additionalProperties: true` is `{}`: a map of anything.
        ("object", _) if s.get("additionalProperties") == Some(&Value::Bool(true)) => {
            "map of free-form".into()
        }
        ("object", _) if s.get("additionalProperties").is_some_and(Value::is_object) => {
            format!("map of {}", type_of(doc, &s["additionalProperties"]))
        }
        ("object", _) if s.get("properties").is_some() => "object".into(),
        ("object", _) | ("any", _) => "free-form".into(),
        (ty, Some(format)) => format!("{ty} ({format})"),
        (ty, None) => ty.to_string(),
    };
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        // Sorted: the order of an enum's values is no difference.
        let mut values: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
            .collect();
        values.sort();
        out = format!("{out} enum [{}]", values.join(", "));
    }
    out
}

/// Two types read the same; a free-form object on the page is one the
/// spec may give fields.
fn same(page: &str, spec: &str, spec_schema: &Value, what: &Source) -> bool {
    // An untyped value of the SDK (`object`) takes whatever the spec
    // describes, and its string a number the spec says may arrive as a
    // digit string.
    let digits = spec_schema.get("x-accept-digit-string") == Some(&Value::Bool(true));
    if what.untyped_values && (page == "free-form" || page == "string" && digits) {
        return true;
    }
    let (page, spec) = if what.untyped_values {
        (untyped(page), untyped(spec))
    } else {
        (page.to_string(), spec.to_string())
    };
    page == spec || page.replace("free-form", "object") == spec
}

/// A type as read without formats and enums: `integer (int64)` is
/// `integer`, `string enum [a, b]` is `string`, at every level.
fn untyped(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut rest = ty;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(" enum [") {
            rest = after.find(']').map_or("", |end| &after[end + 1..]);
        } else if let Some(after) = rest.strip_prefix(" (") {
            rest = after.find(')').map_or("", |end| &after[end + 1..]);
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_placeholder(schema: &Value) -> bool {
    schema.get("x-import-missing").is_some()
}

fn is_cut(schema: &Value) -> bool {
    schema.get("x-import-cut").is_some()
}

/// Where a draft came from, and what it can say: a reference page, or the
/// official SDK's metadata.
pub struct Source {
    /// How messages name it: "the page".
    pub name: &'static str,
    /// Where something of it is: "on the page".
    pub on: &'static str,
    /// The operationId is the SDK's, so it can differ.
    pub sdk_named: bool,
    /// It lists every status code, so a missing one is a difference.
    pub complete: bool,
    /// It names its models as the spec does, so another name is a
    /// difference (the spec merges the SDK's classes of one concept).
    pub models_named: bool,
    /// It knows no formats and no enums (the SDK types every closed set as
    /// a plain string), so the spec's are no difference.
    pub untyped_values: bool,
    /// It gives the exact content type sent (a page gives only its
    /// essence, without `;charset=UTF-8`).
    pub exact_media: bool,
}

impl Source {
    /// A saved reference page.
    pub fn page(sdk_named: bool, complete: bool) -> Source {
        Source {
            name: "the page",
            on: "on the page",
            sdk_named,
            complete,
            models_named: true,
            untyped_values: false,
            exact_media: false,
        }
    }
}

/// The differences between the operation `page_op` of `page` and
/// `spec_op` of `spec`, one line each.
pub fn operation(
    page: &Value,
    page_op: &Value,
    spec: &Value,
    spec_op: &Value,
    what: &Source,
) -> Vec<String> {
    let (p, s) = (Doc(page), Doc(spec));
    let mut out = Vec::new();
    if what.sdk_named && page_op["operationId"] != spec_op["operationId"] {
        out.push(format!(
            "operationId: {} has {}, the spec {}",
            what.name, page_op["operationId"], spec_op["operationId"]
        ));
    }
    // Parameters, by location and name.
    /// An operation's parameters: location, name, required, type, schema.
    fn params<'a>(doc: &Doc<'a>, op: &'a Value) -> Vec<(String, String, bool, String, &'a Value)> {
        op["parameters"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let (p, _) = doc.resolve(p);
                        (
                            p["in"].as_str().unwrap_or_default().to_string(),
                            p["name"].as_str().unwrap_or_default().to_string(),
                            p["required"].as_bool().unwrap_or(false),
                            type_of(doc, &p["schema"]),
                            doc.resolve(&p["schema"]).0,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    let (page_params, spec_params) = (params(&p, page_op), params(&s, spec_op));
    for (loc, name, required, ty, _) in &page_params {
        match spec_params.iter().find(|(l, n, ..)| l == loc && n == name) {
            None => out.push(format!(
                "{loc} parameter `{name}` ({ty}): {}, not in the spec",
                what.on
            )),
            Some((_, _, spec_required, spec_ty, spec_schema)) => {
                if required != spec_required {
                    out.push(format!(
                        "{loc} parameter `{name}`: required {} {required}, in the spec {spec_required}", what.on
                    ));
                }
                if !same(ty, spec_ty, spec_schema, what) {
                    out.push(format!(
                        "{loc} parameter `{name}`: {} has {ty}, the spec {spec_ty}",
                        what.name
                    ));
                }
            }
        }
    }
    for (loc, name, _, ty, _) in &spec_params {
        if !page_params.iter().any(|(l, n, ..)| l == loc && n == name) {
            out.push(format!(
                "{loc} parameter `{name}` ({ty}): in the spec, not {}",
                what.on
            ));
        }
    }
    // The request body.
    let body = |op: &Value| -> Option<(String, Value)> {
        let content = op.pointer("/requestBody/content")?.as_object()?;
        let (media, m) = content.iter().next()?;
        Some((media.clone(), m["schema"].clone()))
    };
    match (body(page_op), body(spec_op)) {
        (Some((pm, ps)), Some((sm, ss))) => {
            // Parameters such as `;charset=UTF-8` are not on the pages;
            // the SDK sends them, lower-cased (charset names ignore case).
            let essence = |m: &str| {
                let m = if what.exact_media {
                    m
                } else {
                    m.split(';').next().unwrap_or(m)
                };
                m.replace(' ', "").to_ascii_lowercase()
            };
            if essence(&pm) != essence(&sm) {
                out.push(format!(
                    "request body: {} sends {pm}, the spec {sm}",
                    what.name
                ));
            }
            compare_at(&p, &ps, &s, &ss, "body", &mut out, true, what, 0);
        }
        (Some((pm, _)), None) => {
            out.push(format!("request body ({pm}): {}, not in the spec", what.on))
        }
        (None, Some((sm, _))) => {
            out.push(format!("request body ({sm}): in the spec, not {}", what.on))
        }
        (None, None) => {}
    }
    // Responses, by status.
    let responses = |op: &Value| op["responses"].as_object().cloned().unwrap_or_default();
    let (page_responses, spec_responses) = (responses(page_op), responses(spec_op));
    // A status the spec covers with a range (`4XX`) is there.
    let range = |status: &str| format!("{}XX", &status[..1.min(status.len())]);
    for (status, pr) in &page_responses {
        let Some(sr) = spec_responses
            .get(status)
            .or_else(|| spec_responses.get(&range(status)))
        else {
            out.push(format!("response {status}: {}, not in the spec", what.on));
            continue;
        };
        let schema = |r: &Value| -> Option<(String, Value)> {
            let content = r.get("content")?.as_object()?;
            let (media, m) = content.iter().next()?;
            Some((
                media.clone(),
                m.get("schema").cloned().unwrap_or(Value::Null),
            ))
        };
        match (schema(pr), schema(sr)) {
            (Some((pm, ps)), Some((sm, ss))) => {
                if pm != sm {
                    out.push(format!(
                        "response {status}: {} answers {pm}, the spec {sm}",
                        what.name
                    ));
                }
                let at = format!("response {status}");
                compare_at(&p, &ps, &s, &ss, &at, &mut out, false, what, 0);
            }
            (Some(_), None) => out.push(format!(
                "response {status}: {} documents a body, the spec none",
                what.name
            )),
            (None, Some(_)) => {}
            (None, None) => {}
        }
    }
    for status in spec_responses.keys() {
        let covered = page_responses.contains_key(status)
            || (status.ends_with("XX") && page_responses.keys().any(|p| range(p) == *status));
        if !covered && what.complete {
            out.push(format!("response {status}: in the spec, not {}", what.on));
        }
    }
    out
}

/// Compares two schemas field by field, at `at` (a path of field names),
/// `depth` levels down.
#[allow(clippy::too_many_arguments)]
fn compare_at(
    p: &Doc<'_>,
    page: &Value,
    s: &Doc<'_>,
    spec: &Value,
    at: &str,
    out: &mut Vec<String>,
    request: bool,
    what: &Source,
    depth: usize,
) {
    let ((page, page_name), (spec, spec_name)) = (p.resolve(page), s.resolve(spec));
    if is_placeholder(page) || depth > 8 {
        return;
    }
    // A body's own name is the draft's invention (the operationId and
    // `RequestBody`): only the models the page names are compared.
    if let (Some(pn), Some(sn)) = (&page_name, &spec_name)
        && depth > 0
        && what.models_named
        && pn != sn
    {
        out.push(format!(
            "{at}: {}'s model is {pn}, the spec's {sn}",
            what.name
        ));
    }
    let (pt, st) = (type_of(p, page), type_of(s, spec));
    if page.get("properties").is_none() || spec.get("properties").is_none() {
        // Arrays and maps: compare what they hold.
        match (page.get("items"), spec.get("items")) {
            (Some(pi), Some(si)) => {
                return compare_at(
                    p,
                    pi,
                    s,
                    si,
                    &format!("{at}[]"),
                    out,
                    request,
                    what,
                    depth + 1,
                );
            }
            _ => {
                if !same(&pt, &st, spec, what) {
                    out.push(format!("{at}: {} has {pt}, the spec {st}", what.name));
                }
                return;
            }
        }
    }
    let empty = serde_json::Map::new();
    let pp = page["properties"].as_object().unwrap_or(&empty);
    let sp = spec["properties"].as_object().unwrap_or(&empty);
    let required = |schema: &Value, name: &str| {
        schema["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|v| v == name))
    };
    for (name, pf) in pp {
        let field = format!("{at}.{name}");
        let Some(sf) = sp.get(name) else {
            out.push(format!(
                "{field} ({}): {}, not in the spec",
                type_of(p, pf),
                what.on
            ));
            continue;
        };
        if request && required(page, name) != required(spec, name) {
            out.push(format!(
                "{field}: required {} {}, in the spec {}",
                what.on,
                required(page, name),
                required(spec, name)
            ));
        }
        let (pr, _) = p.resolve(pf);
        let (sr, _) = s.resolve(sf);
        if pr.get("properties").is_some() || pr.get("items").is_some() || is_placeholder(pr) {
            compare_at(p, pf, s, sf, &field, out, request, what, depth + 1);
            continue;
        }
        let (pt, st) = (type_of(p, pf), type_of(s, sf));
        if !(same(&pt, &st, sr, what) || pt == "free-form" && sr.get("properties").is_some()) {
            out.push(format!("{field}: {} has {pt}, the spec {st}", what.name));
        }
    }
    if !is_cut(page) {
        for (name, sf) in sp {
            if !pp.contains_key(name) {
                out.push(format!(
                    "{at}.{name} ({}): in the spec, not {}",
                    type_of(s, sf),
                    what.on
                ));
            }
        }
    }
}

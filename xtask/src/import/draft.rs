//! A page, read as an operation: its route, parameters, body, responses and
//! models, in the spec's conventions; and the OpenAPI draft of one or more
//! pages.
//!
//! The conventions (README, "The spec"): response models describe what the
//! service sends, so none of their properties is required and every one is
//! `nullable`; their integers are `x-accept-digit-string`. Request bodies
//! keep the page's "Mandatory" as `required`. Regular expressions stay in
//! the description (the toolchain does not check `pattern`). The
//! `X-Auth-Token` header is the runtime's (the `iamToken` security scheme),
//! not a parameter.

use serde_json::{Map, Value, json};

use super::describe::describe;
use super::page::{self, Block, Rendering, Table};

/// Something the draft could not place, where it is on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub line: usize,
    pub text: String,
}

/// A field of a table: a parameter, a body field, a model property.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub required: bool,
    /// The Type cell, as written.
    pub ty: String,
    pub cell: String,
    pub line: usize,
}

/// A nested table: a model.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub fields: Vec<Field>,
    /// Under a request (else under a response): decides the conventions.
    pub request: bool,
    pub cut: bool,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub description: String,
    /// The body table, if the page has one.
    pub fields: Option<Vec<Field>>,
    /// The page ends inside the body table.
    pub cut: bool,
    pub example: Option<Value>,
}

/// One page, read.
#[derive(Debug, Clone)]
pub struct Import {
    /// The page's file name, for notes.
    pub page: String,
    pub rendering: Rendering,
    pub title: String,
    pub group: Option<String>,
    pub function: String,
    pub method: String,
    pub path: String,
    pub operation_id: String,
    pub path_params: Vec<Field>,
    pub query_params: Vec<Field>,
    /// Body fields, and whether they are a form.
    pub body: Option<(Vec<Field>, bool)>,
    /// The page ends inside the body table.
    pub body_cut: bool,
    /// The operationId is the SDK's request class (else the title's words).
    pub sdk_named: bool,
    /// The page goes on to its status codes (it is not cut off before).
    pub complete: bool,
    pub body_example: Option<Value>,
    pub responses: Vec<Response>,
    pub models: Vec<Model>,
    pub notes: Vec<Note>,
}

/// Where the walk through a page is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Top,
    Function,
    Calling,
    Uri,
    Request,
    Response(u16),
    ExampleRequests,
    ExampleResponses(u16),
    Sdk,
    StatusCodes,
    ErrorCodes,
}

/// What the walk is in: a table's kind.
#[derive(Debug, PartialEq)]
enum Kind {
    Path,
    Query,
    Header,
    Body,
    ResponseBody(u16),
    Model(String),
    StatusCodes,
    Other,
}

/// The type names a Type cell refers to ("X object", "Array of X objects",
/// "Map<String,X>").
pub fn referenced(ty: &str) -> Option<String> {
    let t = ty.trim();
    let inner = t
        .strip_prefix("Array of ")
        .map(|r| r.trim_end_matches(" objects").trim_end_matches(" object"))
        .unwrap_or(t);
    let inner = match inner.strip_prefix("Map<") {
        Some(map) => map.trim_end_matches('>').split_once(',')?.1.trim(),
        None => inner.strip_suffix(" object").unwrap_or(inner),
    };
    // Plurals of "Array of strings" and the like, and a `Map<String,>`
    // with no value type, are no model either.
    let plural = [
        "strings", "integers", "booleans", "numbers", "longs", "Longs", "String>", "",
    ];
    let scalar = |name: &str| page::SCALARS.contains(&name) || plural.contains(&name);
    (!scalar(inner) && page::is_name(inner)).then(|| inner.to_string())
}

/// Reads a page.
/// Whether a URI's path would not stay where it says: an empty, `.` or
/// `..` segment, or a percent escape (which could decode to one).
fn climbs(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    path.contains('%')
        || path[1..]
            .split('/')
            .any(|segment| matches!(segment, "" | "." | ".."))
}

pub fn read(page_name: &str, text: &str) -> Import {
    let (rendering, blocks) = page::blocks(text);
    let mut import = Import {
        page: page_name.to_string(),
        rendering,
        title: String::new(),
        group: None,
        function: String::new(),
        method: String::new(),
        path: String::new(),
        operation_id: String::new(),
        path_params: Vec::new(),
        query_params: Vec::new(),
        body: None,
        body_cut: false,
        sdk_named: false,
        complete: false,
        body_example: None,
        responses: Vec::new(),
        models: Vec::new(),
        notes: Vec::new(),
    };
    let mut section = Section::Top;
    let mut sdk_class = None;
    let mut status_codes: Vec<(u16, String, usize)> = Vec::new();
    // Model names referenced and not yet given a table, in order.
    let mut wanted = Wanted::default();
    // The models given a table so far (beside `import.models`, for lookups
    // that stay linear on a page of thousands of models).
    let mut defined: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut seen_uri_tables = 0;
    let mut pending_example: Option<(usize, String)> = None;
    let mut last_line = 0;
    let mut k = 0;
    while k < blocks.len() {
        let block = &blocks[k];
        k += 1;
        match block {
            Block::Text(t) => {
                last_line = t.line;
                let text = t.text.trim();
                if let Some(s) = text.strip_prefix("Status code:") {
                    let status = s.trim().parse().unwrap_or(0);
                    section = match section {
                        Section::ExampleResponses(_) => {
                            flush_example(&mut import, &mut pending_example, section);
                            Section::ExampleResponses(status)
                        }
                        _ => Section::Response(status),
                    };
                    if let Section::Response(status) = section {
                        response(&mut import, status);
                    }
                    continue;
                }
                let next = match text {
                    "Function" => Some(Section::Function),
                    "Calling Method" => Some(Section::Calling),
                    "URI" => Some(Section::Uri),
                    "Request Parameters" => Some(Section::Request),
                    "Response Parameters" => Some(Section::Response(0)),
                    "Example Requests" => Some(Section::ExampleRequests),
                    "Example Responses" => Some(Section::ExampleResponses(0)),
                    "SDK Sample Code" => Some(Section::Sdk),
                    "Status Codes" => Some(Section::StatusCodes),
                    "Error Codes" => Some(Section::ErrorCodes),
                    _ => None,
                };
                if let Some(next) = next {
                    flush_example(&mut import, &mut pending_example, section);
                    section = next;
                    continue;
                }
                match section {
                    Section::Top => {
                        if let Some(crumbs) = text.strip_prefix("Help Center/") {
                            let parts: Vec<&str> = crumbs.split('/').map(str::trim).collect();
                            if parts.len() >= 2 {
                                import.group = Some(parts[parts.len() - 2].to_string());
                            }
                            // "…/ Title\nUpdated on …" in one paragraph.
                            continue;
                        }
                        if text.starts_with("Updated on") {
                            continue;
                        }
                        if import.title.is_empty() {
                            import.title = text.lines().next().unwrap_or_default().to_string();
                        } else {
                            note(&mut import, t.line, text);
                        }
                    }
                    Section::Function => {
                        if !import.function.is_empty() {
                            import.function.push(' ');
                        }
                        import.function.push_str(&one_line(text));
                    }
                    // "For details, see Calling APIs.": the same on every page.
                    Section::Calling => {}
                    Section::Uri => match text.split_once(' ') {
                        Some((_, path))
                            if import.method.is_empty()
                                && path.starts_with('/')
                                && climbs(path.trim()) =>
                        {
                            note(
                                &mut import,
                                t.line,
                                &format!(
                                    "{text}: not drafted, the path has an empty, `.` or `..` segment (or an escape), which would reach another resource"
                                ),
                            );
                        }
                        Some((method, path))
                            if import.method.is_empty() && path.starts_with('/') =>
                        {
                            import.method = method.to_ascii_lowercase();
                            import.path = path.trim().to_string();
                        }
                        _ => note(&mut import, t.line, text),
                    },
                    Section::Request | Section::Response(_) if text == "None" => {}
                    Section::ExampleRequests => {
                        // The request line repeats the URI; a JSON body follows.
                        if gather_example(&mut pending_example, t.line, text) {
                        } else if !(text.contains("/v1/") || text.contains("/v2/")) {
                            note(&mut import, t.line, text);
                        }
                    }
                    Section::ExampleResponses(status) => {
                        if gather_example(&mut pending_example, t.line, text) {
                        } else if let Some(r) =
                            import.responses.iter_mut().find(|r| r.status == status)
                        {
                            if r.description.is_empty() {
                                r.description = one_line(text);
                            }
                        } else if status != 0 {
                            response(&mut import, status);
                            if let Some(r) = import.responses.last_mut() {
                                r.description = one_line(text);
                            }
                        }
                    }
                    Section::Sdk => {
                        if sdk_class.is_none() {
                            sdk_class = request_class(text);
                        }
                    }
                    Section::StatusCodes | Section::ErrorCodes => {
                        if !text.starts_with("See Error Codes") {
                            note(&mut import, t.line, text);
                        }
                    }
                    _ => note(&mut import, t.line, text),
                }
            }
            Block::Table(table) => {
                last_line = table.rows.last().map_or(table.line, |r| r.line);
                let kind = kind_of(&import, table, section, &mut seen_uri_tables, &wanted);
                let fields = fields_of(&mut import, table);
                for f in &fields {
                    if let Some(name) = referenced(&f.ty)
                        && !defined.contains(&name)
                    {
                        wanted.push(name, f.line);
                    }
                }
                if table.cut {
                    let what = match &kind {
                        Kind::Model(name) => format!("table {name}"),
                        other => format!("the {other:?} table"),
                    };
                    note(
                        &mut import,
                        table.rows.last().map_or(table.line, |r| r.line),
                        &format!(
                            "the page ends inside {what}: the rows before are imported, the rest is missing"
                        ),
                    );
                }
                match kind {
                    Kind::Path => import.path_params.extend(fields),
                    Kind::Query => import.query_params.extend(fields),
                    Kind::Header => {
                        for f in fields {
                            note(
                                &mut import,
                                f.line,
                                &format!(
                                    "header {}: sent by the runtime (authentication), not a parameter",
                                    f.name
                                ),
                            );
                        }
                    }
                    Kind::Body => {
                        let form = fields.iter().any(|f| f.ty == "File")
                            || table
                                .caption
                                .as_deref()
                                .is_some_and(|c| c.contains("FormData"));
                        import.body = Some((fields, form));
                        import.body_cut = table.cut;
                    }
                    Kind::ResponseBody(status) => {
                        response(&mut import, status);
                        if let Some(r) = import.responses.iter_mut().find(|r| r.status == status) {
                            r.fields = Some(fields);
                            r.cut = table.cut;
                        }
                    }
                    Kind::Model(name) => {
                        wanted.remove(&name);
                        defined.insert(name.clone());
                        let request = section == Section::Request;
                        import.models.push(Model {
                            name,
                            fields,
                            request,
                            cut: table.cut,
                        });
                    }
                    Kind::StatusCodes => {
                        for row in &table.rows {
                            let code = row.cells.first().and_then(|c| c.trim().parse().ok());
                            match code {
                                Some(code) => status_codes.push((
                                    code,
                                    one_line(row.cells.get(1).map_or("", String::as_str)),
                                    row.line,
                                )),
                                None => note(&mut import, row.line, &row.cells.join(" | ")),
                            }
                        }
                    }
                    Kind::Other => note(
                        &mut import,
                        table.line,
                        &format!(
                            "a table ({}) in {section:?} that the draft has no place for",
                            table.header.join(", ")
                        ),
                    ),
                }
            }
        }
    }
    flush_example(&mut import, &mut pending_example, section);
    for (code, description, _) in &status_codes {
        response(&mut import, *code);
        if let Some(r) = import.responses.iter_mut().find(|r| r.status == *code)
            && r.description.is_empty()
        {
            r.description = description.clone();
        }
    }
    for (name, line) in wanted.in_order() {
        note(
            &mut import,
            line,
            &format!(
                "{name} is referenced but its table is not on the page (cut off?): imported as a free-form object"
            ),
        );
    }
    import.complete = matches!(section, Section::StatusCodes | Section::ErrorCodes);
    if !import.complete {
        note(
            &mut import,
            last_line,
            &format!(
                "the page ends in {section:?}, before its status codes: what follows is missing"
            ),
        );
    }
    import.responses.sort_by_key(|r| r.status);
    import.responses.retain(|r| r.status != 0);
    import.sdk_named = sdk_class.is_some();
    import.operation_id = match sdk_class {
        Some(class) => class,
        None => {
            let from_title = pascal(&import.title);
            note(
                &mut import,
                1,
                &format!(
                    "no SDK sample code names the request class: operationId {from_title} is from the title"
                ),
            );
            from_title
        }
    };
    if import.method.is_empty() {
        note(
            &mut import,
            1,
            "no `METHOD /path` line under URI: the operation has no route",
        );
    }
    import
}

fn note(import: &mut Import, line: usize, text: &str) {
    import.notes.push(Note {
        line,
        text: one_line(text),
    });
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn response(import: &mut Import, status: u16) {
    if !import.responses.iter().any(|r| r.status == status) {
        import.responses.push(Response {
            status,
            description: String::new(),
            fields: None,
            cut: false,
            example: None,
        });
    }
}

/// Adds `text` to the example being collected, if it starts or continues
/// one (JSON begins with `{` or `[`); false if it is other text.
fn gather_example(pending: &mut Option<(usize, String)>, line: usize, text: &str) -> bool {
    if !(text.starts_with('{') || text.starts_with('[') || pending.is_some()) {
        return false;
    }
    let p = pending.get_or_insert((line, String::new()));
    p.1.push_str(text);
    p.1.push('\n');
    true
}

/// Attaches a collected example to its request or response.
fn flush_example(import: &mut Import, pending: &mut Option<(usize, String)>, section: Section) {
    let Some((line, text)) = pending.take() else {
        return;
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => match section {
            Section::ExampleRequests => import.body_example = Some(value),
            Section::ExampleResponses(status) => {
                response(import, status);
                if let Some(r) = import.responses.iter_mut().find(|r| r.status == status) {
                    r.example = Some(value);
                }
            }
            _ => {}
        },
        Err(e) => note(
            import,
            line,
            &format!(
                "an example that is not whole JSON ({e}), left out: {}",
                text.chars().take(60).collect::<String>()
            ),
        ),
    }
}

/// `CreateIpdProjectIssueAttachment` from the SDK samples' request class.
fn request_class(text: &str) -> Option<String> {
    for marker in ["Request()", "Request{}", "Request();"] {
        if let Some(at) = text.find(marker) {
            let before = &text[..at];
            let name: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if name.len() > 3 && name.starts_with(|c: char| c.is_ascii_uppercase()) {
                return Some(name);
            }
        }
    }
    None
}

/// "Querying the IPD Project List" → "QueryingTheIpdProjectList".
pub fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// What a table is, from its caption, else from where it is and what it
/// holds (pipe tables have no captions).
fn kind_of(
    import: &Import,
    table: &Table,
    section: Section,
    seen_uri_tables: &mut usize,
    wanted: &Wanted,
) -> Kind {
    if table.column("Status Code").is_some() || table.column("Error Code").is_some() {
        return Kind::StatusCodes;
    }
    if let Some(caption) = &table.caption {
        let c = caption.to_ascii_lowercase();
        return match c.as_str() {
            _ if c.starts_with("path parameters") => Kind::Path,
            _ if c.starts_with("query parameters") => Kind::Query,
            _ if c.contains("header parameters") && section != Section::Request => Kind::Other,
            _ if c.contains("header parameters") => Kind::Header,
            _ if c.contains("request body parameters") || c.contains("formdata parameters") => {
                Kind::Body
            }
            _ if c.contains("response body parameters") => match section {
                Section::Response(status) => Kind::ResponseBody(status),
                _ => Kind::Other,
            },
            _ => Kind::Model(caption.trim().to_string()),
        };
    }
    let names: Vec<&str> = table
        .rows
        .iter()
        .filter_map(|r| r.cells.first().map(String::as_str))
        .collect();
    match section {
        Section::Uri => {
            *seen_uri_tables += 1;
            let in_path = !names.is_empty()
                && names
                    .iter()
                    .all(|n| import.path.contains(&format!("{{{n}}}")));
            if in_path && *seen_uri_tables == 1 {
                Kind::Path
            } else {
                Kind::Query
            }
        }
        Section::Request => {
            let headers = !names.is_empty()
                && names
                    .iter()
                    .all(|n| n.contains('-') && n.starts_with(|c: char| c.is_ascii_uppercase()));
            if headers {
                Kind::Header
            } else if import.body.is_none() {
                Kind::Body
            } else {
                next_model(wanted)
            }
        }
        Section::Response(status) => {
            let has_body = import
                .responses
                .iter()
                .any(|r| r.status == status && r.fields.is_some());
            if has_body {
                next_model(wanted)
            } else {
                Kind::ResponseBody(status)
            }
        }
        _ => Kind::Other,
    }
}

/// An uncaptioned nested table is the first model referenced and not yet
/// given a table (pages list them in the order they are referenced).
fn next_model(wanted: &Wanted) -> Kind {
    match wanted.first() {
        Some(name) => Kind::Model(name.to_string()),
        None => Kind::Other,
    }
}

/// The models referenced and not yet given a table, in the order first
/// referenced, each with the line that referenced it: a queue with lookup
/// and removal by name, so a page of thousands of models reads in linear
/// time.
#[derive(Default)]
struct Wanted {
    order: std::collections::BTreeMap<u64, (String, usize)>,
    by_name: std::collections::HashMap<String, u64>,
    next: u64,
}

impl Wanted {
    /// Adds `name`, unless it is already wanted.
    fn push(&mut self, name: String, line: usize) {
        if !self.by_name.contains_key(&name) {
            self.by_name.insert(name.clone(), self.next);
            self.order.insert(self.next, (name, line));
            self.next += 1;
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(seq) = self.by_name.remove(name) {
            self.order.remove(&seq);
        }
    }

    fn first(&self) -> Option<&str> {
        self.order.values().next().map(|(name, _)| name.as_str())
    }

    fn in_order(self) -> impl Iterator<Item = (String, usize)> {
        self.order.into_values()
    }
}

fn fields_of(import: &mut Import, table: &Table) -> Vec<Field> {
    let (Some(name), ty) = (table.column("Parameter"), table.column("Type")) else {
        return Vec::new();
    };
    let mandatory = table.column("Mandatory");
    let description = table.column("Description");
    let mut fields = Vec::new();
    for row in &table.rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let field = Field {
            name: cell(Some(name)),
            required: mandatory.is_some_and(|m| row.cells.get(m).is_some_and(|v| v == "Yes")),
            ty: cell(ty),
            cell: cell(description),
            line: row.line,
        };
        if field.name.is_empty() || (ty.is_some() && field.ty.is_empty()) {
            note(
                import,
                row.line,
                &format!("a row with missing cells: {}", row.cells.join(" | ")),
            );
            continue;
        }
        fields.push(field);
    }
    fields
}

// ---------------------------------------------------------------------------
// The draft.
// ---------------------------------------------------------------------------

/// Which side of the wire a schema is on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// The JSON type of a Type cell, and its schema (refs by name).
/// How deep a Type cell's types may nest (`Array of Map<String, ...>`):
/// more is no type a page means, and reading it must stay linear.
const MAX_TYPE_DEPTH: usize = 16;

fn schema_of(ty: &str, side: Side, notes: &mut Vec<String>) -> (String, Value) {
    schema_at(ty, side, notes, 0)
}

fn schema_at(ty: &str, side: Side, notes: &mut Vec<String>, depth: usize) -> (String, Value) {
    let t = ty.trim();
    if depth > MAX_TYPE_DEPTH {
        notes.push(format!(
            "a type nested more than {MAX_TYPE_DEPTH} deep: left free-form"
        ));
        return ("object".into(), json!({}));
    }
    let integer = |format: &str| {
        let mut s = json!({ "type": "integer", "format": format });
        if side == Side::Response {
            s["x-accept-digit-string"] = json!(true);
        }
        s
    };
    let scalar = |name: &str| -> Option<Value> {
        Some(match name {
            "String" | "string" | "strings" => json!({ "type": "string" }),
            "Integer" | "Int" | "Short" | "integer" | "integers" => integer("int32"),
            "Long" | "long" | "longs" | "Longs" => integer("int64"),
            "Number" | "Double" | "Float" | "BigDecimal" | "numbers" => json!({ "type": "number" }),
            "Boolean" | "booleans" => json!({ "type": "boolean" }),
            "File" => json!({ "type": "string", "format": "binary" }),
            "Object" => json!({ "type": "object" }),
            _ => return None,
        })
    };
    if let Some(s) = scalar(t) {
        let kind = s["type"].as_str().unwrap_or_default().to_string();
        return (kind, s);
    }
    if let Some(rest) = t.strip_prefix("Array of ") {
        let inner = rest
            .trim_end_matches(" objects")
            .trim_end_matches(" object");
        let (_, items) = schema_at(
            &match inner {
                "strings" => "String".into(),
                "integers" => "Integer".into(),
                _ if inner.starts_with("Map<") => inner.to_string(),
                _ if scalar(inner).is_some() => inner.to_string(),
                _ => format!("{inner} object"),
            },
            side,
            notes,
            depth + 1,
        );
        return ("array".into(), json!({ "type": "array", "items": items }));
    }
    if let Some(map) = t.strip_prefix("Map<") {
        let value = map
            .trim_end_matches('>')
            .split_once(',')
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        if value.is_empty() {
            notes.push(format!("`{t}` names no value type: a map of any values"));
            return (
                "object".into(),
                json!({ "type": "object", "additionalProperties": {} }),
            );
        }
        let (_, values) = schema_at(
            &(if scalar(value).is_some() {
                value.to_string()
            } else {
                format!("{value} object")
            }),
            side,
            notes,
            depth + 1,
        );
        return (
            "object".into(),
            json!({ "type": "object", "additionalProperties": values }),
        );
    }
    if let Some(name) = t.strip_suffix(" object") {
        return (
            "object".into(),
            json!({ "$ref": format!("#/components/schemas/{name}") }),
        );
    }
    notes.push(format!(
        "type `{t}` is not one the importer knows: left free-form"
    ));
    ("object".into(), json!({}))
}

/// A field's schema, with its description and keywords, in the side's
/// conventions.
fn field_schema(field: &Field, side: Side, import_notes: &mut Vec<String>) -> Value {
    let mut notes = Vec::new();
    let (kind, mut schema) = schema_of(&field.ty, side, &mut notes);
    for n in notes {
        import_notes.push(format!("{}: {}", field.line, n));
    }
    let described = describe(&field.cell, &kind);
    let mut out = Map::new();
    if !described.text.is_empty() {
        out.insert("description".into(), json!(described.text));
    }
    // A $ref takes no siblings in 3.0: nullable and description go beside
    // an allOf, as the spec writes them.
    if let Some(reference) = schema.get("$ref").cloned() {
        if side == Side::Response {
            out.insert("nullable".into(), json!(true));
        }
        out.insert("allOf".into(), json!([{ "$ref": reference }]));
        return Value::Object(out);
    }
    if let Value::Object(s) = &mut schema {
        for (k, v) in s.iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    if side == Side::Response {
        out.insert("nullable".into(), json!(true));
    }
    for (k, v) in described.keywords {
        out.insert(k, v);
    }
    Value::Object(out)
}

fn object_schema(
    fields: &[Field],
    side: Side,
    description: Option<&str>,
    notes: &mut Vec<String>,
) -> Value {
    let mut out = Map::new();
    if let Some(d) = description {
        out.insert("description".into(), json!(d));
    }
    out.insert("type".into(), json!("object"));
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required && side == Side::Request)
        .map(|f| f.name.as_str())
        .collect();
    if !required.is_empty() {
        out.insert("required".into(), json!(required));
    }
    let mut properties = Map::new();
    for f in fields {
        if properties.contains_key(&f.name) {
            notes.push(format!(
                "{}: `{}` is listed twice; the first is kept",
                f.line, f.name
            ));
            continue;
        }
        properties.insert(f.name.clone(), field_schema(f, side, notes));
    }
    out.insert("properties".into(), Value::Object(properties));
    Value::Object(out)
}

/// The operation's part of the draft: its path item entry, the models it
/// defines, and its notes.
fn operation(
    import: &Import,
    schemas: &mut Map<String, Value>,
    conflicts: &mut Vec<String>,
) -> Value {
    let mut notes: Vec<String> = Vec::new();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(import.operation_id));
    if let Some(group) = &import.group {
        op.insert("tags".into(), json!([group]));
    }
    op.insert("summary".into(), json!(import.title));
    if !import.function.is_empty() {
        op.insert("description".into(), json!(import.function));
    }
    let mut parameters = Vec::new();
    for (location, fields) in [
        ("path", &import.path_params),
        ("query", &import.query_params),
    ] {
        for f in fields {
            let mut schema = field_schema(f, Side::Request, &mut notes);
            let description = schema.as_object_mut().and_then(|s| s.remove("description"));
            let mut p = Map::new();
            p.insert("name".into(), json!(f.name));
            p.insert("in".into(), json!(location));
            p.insert("required".into(), json!(location == "path" || f.required));
            if let Some(d) = description {
                p.insert("description".into(), d);
            }
            p.insert("schema".into(), schema);
            parameters.push(Value::Object(p));
        }
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some((fields, form)) = &import.body {
        let mut schema = object_schema(fields, Side::Request, None, &mut notes);
        if import.body_cut {
            schema["x-import-cut"] = json!(true);
        }
        let media = if *form {
            "multipart/form-data"
        } else {
            "application/json"
        };
        let name = format!("{}RequestBody", import.operation_id);
        let mut content = Map::new();
        if !*form {
            define(schemas, &name, schema, import, conflicts);
            schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        }
        let mut media_type = json!({ "schema": schema });
        if let Some(example) = &import.body_example {
            media_type["example"] = example.clone();
        }
        content.insert(media.into(), media_type);
        op.insert(
            "requestBody".into(),
            json!({ "required": fields.iter().any(|f| f.required), "content": content }),
        );
    }
    let mut responses = Map::new();
    for r in &import.responses {
        let mut out = Map::new();
        let description = if r.description.is_empty() {
            "No description on the page."
        } else {
            &r.description
        };
        out.insert("description".into(), json!(description));
        let fields = r.fields.as_deref().unwrap_or_default();
        if let [only] = fields
            && only.ty == "File"
        {
            out.insert(
                "content".into(),
                json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }),
            );
        } else if !fields.is_empty() {
            let error = fields
                .iter()
                .all(|f| f.name == "error_code" || f.name == "error_msg");
            let name = if error {
                "ErrorResponseBody".to_string()
            } else if r.status < 300 {
                format!("{}ResponseBody", import.operation_id)
            } else {
                format!("{}Response{}Body", import.operation_id, r.status)
            };
            let mut schema = object_schema(fields, Side::Response, None, &mut notes);
            if r.cut {
                schema["x-import-cut"] = json!(true);
            }
            define(schemas, &name, schema, import, conflicts);
            let mut media = json!({ "schema": { "$ref": format!("#/components/schemas/{name}") } });
            if let Some(example) = &r.example {
                media["example"] = example.clone();
            }
            out.insert("content".into(), json!({ "application/json": media }));
        }
        responses.insert(r.status.to_string(), Value::Object(out));
    }
    if responses.is_empty() {
        responses.insert(
            "200".into(),
            json!({ "description": "No response is documented on the page." }),
        );
    }
    op.insert("responses".into(), Value::Object(responses));
    for model in &import.models {
        let side = if model.request {
            Side::Request
        } else {
            Side::Response
        };
        let mut schema = object_schema(&model.fields, side, None, &mut notes);
        if model.cut {
            schema["x-import-cut"] = json!(true);
        }
        define(schemas, &model.name, schema, import, conflicts);
    }
    // Models referenced without a table.
    let mut missing = Vec::new();
    let mut seen = std::collections::HashSet::new();
    collect_refs_into(&Value::Object(op.clone()), &mut missing, &mut seen);
    for schema in schemas.values() {
        collect_refs_into(schema, &mut missing, &mut seen);
    }
    for name in missing {
        if !schemas.contains_key(&name) {
            schemas.insert(
                name.clone(),
                json!({
                    "description": format!("{name}: its table is not on the imported page."),
                    "type": "object",
                    "x-import-missing": true,
                }),
            );
        }
    }
    let mut all_notes: Vec<String> = import
        .notes
        .iter()
        .map(|n| format!("{}:{}: {}", import.page, n.line, n.text))
        .collect();
    all_notes.extend(notes.into_iter().map(|n| format!("{}:{n}", import.page)));
    if !all_notes.is_empty() {
        op.insert("x-import-notes".into(), json!(all_notes));
    }
    Value::Object(op)
}

/// Adds the names of the models `value` references to `out`, each once,
/// in the order first met (`seen`, a set beside the list, keeps it linear
/// in the references).
fn collect_refs_into(
    value: &Value,
    out: &mut Vec<String>,
    seen: &mut std::collections::HashSet<String>,
) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && seen.insert(name.to_string())
                {
                    out.push(name.to_string());
                }
                collect_refs_into(v, out, seen);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs_into(v, out, seen)),
        _ => {}
    }
}

/// Adds a model; one already defined by another page is kept, and a
/// different definition is a conflict.
fn define(
    schemas: &mut Map<String, Value>,
    name: &str,
    schema: Value,
    import: &Import,
    conflicts: &mut Vec<String>,
) {
    match schemas.get(name) {
        None => {
            schemas.insert(name.to_string(), schema);
        }
        Some(existing) if shape(existing) == shape(&schema) => {}
        Some(_) => conflicts.push(format!(
            "{}: model {name} differs from the one another page defines; the first is kept",
            import.page
        )),
    }
}

/// A schema's properties and their types, for comparing definitions.
fn shape(schema: &Value) -> Vec<(String, String)> {
    schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(k, v)| {
                    let ty = v
                        .get("type")
                        .or_else(|| v.pointer("/allOf/0/$ref"))
                        .cloned()
                        .unwrap_or_default();
                    (k.clone(), ty.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The draft of these pages: one OpenAPI 3.0.3 document with their
/// operations and models, and the conflicts between the pages.
pub fn draft(imports: &[Import]) -> (Value, Vec<String>) {
    let mut schemas = Map::new();
    let mut conflicts = Vec::new();
    let mut paths: Map<String, Value> = Map::new();
    let mut tags: Vec<String> = Vec::new();
    for import in imports {
        if import.method.is_empty() {
            conflicts.push(format!("{}: no route, so no operation", import.page));
            continue;
        }
        let op = operation(import, &mut schemas, &mut conflicts);
        let item = paths
            .entry(import.path.clone())
            .or_insert_with(|| json!({}));
        if item.get(&import.method).is_some() {
            conflicts.push(format!(
                "{}: {} {} is on another page too; the first is kept",
                import.page,
                import.method.to_uppercase(),
                import.path
            ));
            continue;
        }
        item[&import.method] = op;
        if let Some(group) = &import.group
            && !tags.contains(group)
        {
            tags.push(group.clone());
        }
    }
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.0.3"));
    let pages: Vec<&str> = imports.iter().map(|i| i.page.as_str()).collect();
    doc.insert(
        "info".into(),
        json!({
            "title": format!("Draft imported from {}", pages.join(", ")),
            "version": "0.0.0",
        }),
    );
    if !tags.is_empty() {
        doc.insert(
            "tags".into(),
            Value::Array(tags.into_iter().map(|t| json!({ "name": t })).collect()),
        );
    }
    doc.insert("paths".into(), Value::Object(paths));
    doc.insert("components".into(), json!({ "schemas": schemas }));
    (Value::Object(doc), conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page whose URI would climb out of its service, or reach another
    /// resource, is noted and not drafted: no route, so no operation.
    #[test]
    fn a_uri_with_dot_or_empty_segments_or_escapes_is_not_drafted() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap();
        let original = "DELETE /v1/ipdprojectservice/projects/{project_id}/tags/{label_id}";
        assert!(page.contains(original));
        for path in [
            "/v1/ipdprojectservice/projects/{project_id}/../../../admin/x",
            "/v1/ipdprojectservice/./projects/{project_id}/tags/{label_id}",
            "/v1/ipdprojectservice//projects/{project_id}/tags/{label_id}",
            "/v1/ipdprojectservice/projects/{project_id}/%2e%2e/admin",
            "/v1/ipdprojectservice/projects/{project_id}/tags/",
        ] {
            let import = read(
                "hostile.txt",
                &page.replace(original, &format!("DELETE {path}")),
            );
            assert!(
                import.method.is_empty() && import.path.is_empty(),
                "{path} drafted"
            );
            assert!(
                import.notes.iter().any(|n| n.text.contains("not drafted")),
                "{path}: {:?}",
                import.notes
            );
            let (draft, conflicts) = draft(std::slice::from_ref(&import));
            assert_eq!(draft["paths"], serde_json::json!({}));
            assert_eq!(conflicts, ["hostile.txt: no route, so no operation"]);
        }
    }

    /// A Type cell nested 100,000 deep (`Map<String, Map<String, ...>>`)
    /// is read to a bounded depth, noted, and left free-form there: no
    /// stack overflow, no memory quadratic in the depth.
    #[test]
    fn a_type_nested_beyond_reason_is_cut_at_a_bounded_depth() {
        let deep = format!(
            "{}String{}",
            "Map<String,".repeat(100_000),
            ">".repeat(100_000)
        );
        let mut notes = Vec::new();
        let (_, schema) = schema_of(&deep, Side::Request, &mut notes);
        assert!(
            notes.iter().any(|n| n.contains("nested more than 16 deep")),
            "{notes:?}"
        );
        let mut depth = 0;
        let mut at = &schema;
        while let Some(inner) = at.get("additionalProperties") {
            depth += 1;
            at = inner;
        }
        assert_eq!(depth, MAX_TYPE_DEPTH + 1, "{schema}");
        let array = format!("{}String objects", "Array of ".repeat(50_000));
        let mut notes = Vec::new();
        schema_of(&array, Side::Response, &mut notes);
        assert!(
            notes.iter().any(|n| n.contains("nested more than")),
            "{notes:?}"
        );
    }

    /// A value range YAML would read as numbers (`.inf`, `.nan`) becomes
    /// an enum of strings that the draft writes quoted, so the code
    /// generator reads it back as written and generates it.
    #[test]
    fn a_value_range_that_reads_as_floats_generates() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap()
        .replace("Tag ID.", "Tag ID. Value range: .inf, .nan, plain")
        .replace("/tags/{label_id}", "/things/{label_id}");
        let import = read("floats.txt", &page);
        let (draft, _) = draft(std::slice::from_ref(&import));
        let text = crate::import::yaml::to_yaml(&draft);
        let back = ipd_codegen::parse_yaml(&text).unwrap();
        let param = &back["paths"]["/v1/ipdprojectservice/projects/{project_id}/things/{label_id}"]
            ["delete"]["parameters"][1];
        assert_eq!(
            param["schema"]["enum"],
            serde_json::json!([".inf", ".nan", "plain"]),
            "{text}"
        );
        ipd_codegen::generate(&text, "floats.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    }

    /// A page of 2,000 models, each referenced from one table and given
    /// its own: every one is read, in order, with nothing missing.
    #[test]
    fn a_page_of_many_models_reads_every_one() {
        let page = std::fs::read_to_string(
            crate::workspace_root().join("tests/fixtures/pages/DeleteIpdLabel.txt"),
        )
        .unwrap();
        let head = &page[..page.find("Table 3 LabelEntity").unwrap()];
        let n = 2000;
        let rows: String = (0..n)
            .map(|i| format!("field_{i}\n\nModel{i} object\n\nField {i}.\n\n"))
            .collect();
        let tables: String = (0..n)
            .map(|i| format!("Table {} Model{i}\n\nParameter\n\nType\n\nDescription\n\nvalue\n\nString\n\nV.\n\n", i + 4))
            .collect();
        let text = format!(
            "{head}Table 3 LabelEntity\n\nParameter\n\nType\n\nDescription\n\n{rows}{tables}"
        );
        let import = read("many.txt", &text);
        assert_eq!(import.models.len(), n + 1);
        assert_eq!(import.models[n].name, format!("Model{}", n - 1));
        assert!(
            !import
                .notes
                .iter()
                .any(|n| n.text.contains("is referenced but")),
            "{:?}",
            import.notes.first()
        );
    }
}

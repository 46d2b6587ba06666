//! A saved reference page, read as an operation: its route, parameters,
//! body, responses and models (`Import`), with notes for what it cannot
//! place. `draft` turns it into the spec's conventions.

use serde_json::Value;

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

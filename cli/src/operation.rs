//! `ipd <operation>`: every operation of the spec, reached generically, as
//! `aws <service> <operation>` and `gh api` do. The subcommands, their
//! flags and their help come from the spec the client was generated from
//! (`ipd_catalogue::OPENAPI`, read through `ipd_catalogue`), so a new
//! operation in the spec is a new subcommand without code here.
//!
//! Parameters are flags named after the spec's (`--issue-id`), or
//! `--param name=value`; a JSON body comes from `--body FILE` (`-` for
//! stdin) and from a flag per top-level field of an object body
//! (`--title T`, parsed by the field's type; a flag wins over the same
//! field in `--body`), a multipart body from `--form name=value` and
//! `--form name=@FILE`. The answer is printed as JSON; a binary answer is
//! saved with `-o`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use codearts_ipd::multipart::{Multipart, ToMultipart};
use codearts_ipd::{ApiError, FilePart, SaveToFile, printable};
use codearts_ipd_runtime::Method;
use ipd_catalogue::{Catalogue, Location, Operation, Param};
use serde_json::Value;

use crate::{Connection, Failure};

/// Flags every operation has; a spec parameter that would collide with one
/// is reached through `--param` instead.
const RESERVED: &[&str] = &[
    "param",
    "body",
    "form",
    "output",
    "force",
    "help",
    "project-id",
    "region",
    "endpoint",
    "demo",
    "demo-dir",
    "verbose",
    "timeout",
    "version",
];

/// One subcommand per operation of the spec.
pub fn commands() -> Vec<Command> {
    let catalogue = Catalogue::bundled();
    catalogue
        .operations()
        .iter()
        .map(|op| command(catalogue, op))
        .collect()
}

/// The operation a subcommand name stands for, if it is one.
pub fn find(name: &str) -> Option<&'static Operation> {
    Catalogue::bundled().find(name)
}

/// The flag of `op`'s parameter number `index`, unless it would collide
/// with a common flag or an earlier parameter's (which can happen with
/// parameters of one name in two locations): those take `--param`.
fn flag(op: &Operation, index: usize) -> Option<String> {
    let name = |p: &Param| p.name.replace('_', "-").to_ascii_lowercase();
    let flag = name(&op.params[index]);
    let plain = flag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let taken = op.params[..index].iter().any(|p| name(p) == flag);
    (plain && !taken && !RESERVED.contains(&flag.as_str())).then_some(flag)
}

/// A flag for a top-level field of a JSON object body.
#[derive(Clone)]
struct BodyFlag {
    flag: String,
    /// The field's name in the body.
    field: String,
    /// Its JSON type (`string`, `integer`, `array of string`...).
    kind: String,
    required: bool,
    description: String,
    /// The values a string field (or a string array's items) takes, if
    /// the spec lists them.
    choices: Vec<String>,
    /// An object field's own fields, as `name (type)`.
    members: Vec<String>,
}

/// The flags of `op`'s body fields: `--<field>`, or `--body-<field>` where
/// a common flag or a parameter has the name; a field whose name cannot be
/// a flag is set through `--body` only.
fn body_flags(catalogue: &Catalogue, op: &Operation) -> Vec<BodyFlag> {
    let Some(body) = op.body.as_ref().filter(|b| b.is_json()) else {
        return Vec::new();
    };
    let mut taken: Vec<String> = (0..op.params.len()).filter_map(|i| flag(op, i)).collect();
    taken.extend(RESERVED.iter().map(|s| s.to_string()));
    let mut flags = Vec::new();
    for (field, kind, required, description, choices, members) in fields(catalogue, &body.schema) {
        let plain = field.replace('_', "-").to_ascii_lowercase();
        if !plain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let flag = [plain.clone(), format!("body-{plain}")]
            .into_iter()
            .find(|f| !taken.contains(f));
        let Some(flag) = flag else { continue };
        taken.push(flag.clone());
        flags.push(BodyFlag {
            flag,
            field,
            kind,
            required,
            description,
            choices,
            members,
        });
    }
    flags
}

fn command(catalogue: &Catalogue, op: &'static Operation) -> Command {
    let about = op.summary.clone().unwrap_or_else(|| op.id.clone());
    let mut command = Command::new(op.command.as_str())
        .about(format!("{about} ({})", op.id))
        .alias(op.id.as_str())
        .after_help(after_help(catalogue, op));
    for (index, param) in op.params.iter().enumerate() {
        let Some(flag) = flag(op, index) else {
            continue;
        };
        let mut help = first_sentence(param.description.as_deref().unwrap_or(""));
        if param.required {
            help = format!("[required] {help}");
        }
        command = command.arg(
            Arg::new(flag.clone())
                .long(flag)
                .value_name(type_name(catalogue, &param.schema).to_ascii_uppercase())
                .help(help),
        );
    }
    for body_flag in body_flags(catalogue, op) {
        let mut help = format!(
            "[body field `{}`] {}",
            body_flag.field,
            first_sentence(&body_flag.description)
        );
        if body_flag.required {
            help = format!("[required] {help}");
        }
        let array = body_flag.kind.starts_with("array of ");
        let scalar_items = matches!(
            body_flag.kind.as_str(),
            "array of string" | "array of integer" | "array of number" | "array of boolean"
        );
        let value_name = match body_flag.kind.as_str() {
            _ if scalar_items => body_flag.kind["array of ".len()..].to_ascii_uppercase(),
            "object" | "any" => "JSON".to_string(),
            _ if array => "JSON".to_string(),
            kind => kind.to_ascii_uppercase(),
        };
        if !body_flag.choices.is_empty() {
            help.push_str(&format!(" One of: {}.", body_flag.choices.join(", ")));
        }
        if !body_flag.members.is_empty() {
            help.push_str(&format!(
                " A JSON object with: {}.",
                body_flag.members.join(", ")
            ));
        }
        if scalar_items {
            help.push_str(
                " Repeat the flag or separate values with commas; a JSON array also works.",
            );
        }
        command = command.arg(
            Arg::new(body_flag.flag.clone())
                .long(body_flag.flag)
                .value_name(value_name)
                .action(if array {
                    ArgAction::Append
                } else {
                    ArgAction::Set
                })
                .help(help),
        );
    }
    // `--body` and `--form` only where the operation takes such a body.
    let json_body = op.body.as_ref().is_some_and(|b| b.is_json());
    let form_body = op.body.as_ref().is_some_and(|b| !b.is_json());
    if json_body {
        command = command.arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The JSON body, from FILE or `-` for stdin"),
        );
    }
    if form_body {
        command = command.arg(
            Arg::new("form")
                .long("form")
                .value_name("NAME=VALUE|NAME=@FILE")
                .action(ArgAction::Append)
                .help("A multipart field: text, or a file after `@` (repeatable)"),
        );
    }
    command
        .arg(
            Arg::new("param")
                .long("param")
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .help("A parameter by its spec name (repeatable)"),
        )
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Where to save a binary answer"),
        )
        .arg(
            Arg::new("force")
                .long("force")
                .action(ArgAction::SetTrue)
                .help("Replace an existing regular file at the output path"),
        )
        .args(paging_args(op))
}

/// `--all`, and `--page-size` unless a parameter has that flag already (its
/// value is then the page size of `--all`).
fn paging_args(op: &Operation) -> Vec<Arg> {
    let Some(paging) = &op.pagination else {
        return Vec::new();
    };
    let mut args = vec![
        Arg::new("all")
            .long("all")
            .action(ArgAction::SetTrue)
            .help("Every item of every page, as one JSON array, streamed"),
    ];
    let taken = (0..op.params.len()).any(|i| flag(op, i).as_deref() == Some("page-size"));
    if !taken {
        args.push(
            Arg::new("page-size")
                .long("page-size")
                .value_name("N")
                .value_parser(clap::value_parser!(u64))
                .help(format!(
                    "Items per page with --all ({} to {}, default {})",
                    paging.min_size, paging.max_size, paging.default_size
                )),
        );
    }
    args
}

/// The operation's route, its parameters reached only by `--param`, and
/// its body's fields, from the spec.
fn after_help(catalogue: &Catalogue, op: &Operation) -> String {
    let mut text = format!("{} {}\n", op.method, op.path);
    if let Some(description) = &op.description {
        text.push_str(&format!("\n{}\n", first_sentence(description)));
    }
    // `project_id` is the global `--project-id`; the rest need `--param`.
    let hidden: Vec<&Param> = (0..op.params.len())
        .filter(|&i| flag(op, i).is_none() && op.params[i].name != "project_id")
        .map(|i| &op.params[i])
        .collect();
    if !hidden.is_empty() {
        text.push_str("\nParameters given with --param NAME=VALUE:\n");
        for param in hidden {
            text.push_str(&format!(
                "  {}{} ({})\n",
                param.name,
                if param.required { " [required]" } else { "" },
                type_name(catalogue, &param.schema)
            ));
        }
    }
    if let Some(body) = &op.body {
        let how = if body.is_json() {
            "--body FILE"
        } else {
            "--form"
        };
        let how = if body.is_json() {
            format!("{how}, or a flag per field")
        } else {
            how.to_string()
        };
        text.push_str(&format!(
            "\nBody ({}, {how}{}):\n",
            body.content_type,
            if body.required { ", required" } else { "" }
        ));
        for (name, kind, required, description, choices, _) in fields(catalogue, &body.schema) {
            let values = if choices.is_empty() {
                String::new()
            } else {
                format!(" One of: {}.", choices.join(", "))
            };
            text.push_str(&format!(
                "  {name}{} ({kind}) {}{values}\n",
                if required { " [required]" } else { "" },
                first_sentence(&description)
            ));
        }
    }
    text
}

/// A body's field: name, type, required, description, the values a string
/// (or string array) field takes where the spec lists them, and an object
/// field's own fields (`name (type)`).
type FieldInfo = (String, String, bool, String, Vec<String>, Vec<String>);

/// The values of a string enum `schema` (or of its items, for an array).
fn choices(catalogue: &Catalogue, schema: &Value) -> Vec<String> {
    let mut resolved = catalogue.resolve(schema);
    for _ in 0..8 {
        match resolved
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .or_else(|| resolved.get("items").map(std::slice::from_ref))
        {
            Some([only]) => resolved = catalogue.resolve(only),
            _ => break,
        }
    }
    resolved
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The top-level fields of an object schema (through `allOf`).
fn fields(catalogue: &Catalogue, schema: &Value) -> Vec<FieldInfo> {
    let schema = catalogue.resolve(schema);
    let mut out = Vec::new();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.extend(fields(catalogue, part));
    }
    let required = ipd_catalogue::schema::required(schema);
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let description = catalogue
            .resolve(property)
            .get("description")
            .or_else(|| property.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let kind = type_name(catalogue, property);
        let members = if kind == "object" {
            fields(catalogue, property)
                .into_iter()
                .map(|(name, kind, ..)| format!("{name} ({kind})"))
                .collect()
        } else {
            Vec::new()
        };
        out.push((
            name.clone(),
            kind,
            required.contains(&name.as_str()),
            description,
            choices(catalogue, property),
            members,
        ));
    }
    out
}

fn type_name(catalogue: &Catalogue, schema: &Value) -> String {
    let resolved = catalogue.resolve(schema);
    if let Some(only) = resolved
        .get("allOf")
        .and_then(Value::as_array)
        .and_then(|parts| parts.first())
    {
        return type_name(catalogue, only);
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "array of {}",
            type_name(catalogue, resolved.get("items").unwrap_or(&Value::Null))
        ),
        Some(kind) => kind.to_string(),
        None => "any".to_string(),
    }
}

fn first_sentence(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(end) => text[..=end].to_string(),
        None => text,
    }
}

/// Runs `op` with the subcommand's arguments.
pub async fn run(
    connection: &Connection,
    op: &'static Operation,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let mut values = parameter_values(op, matches)?;
    if op.params.iter().any(|p| p.name == "project_id")
        && let Some(project_id) = &connection.project_id
    {
        values
            .entry("project_id")
            .or_insert_with(|| project_id.clone());
    }
    let body = with_body_flags(op, read_body(op, matches)?, matches)?;
    let form = read_form(op, matches).await?;
    check_output_for(op, matches)?;
    if let Some(paging) = op.pagination.as_ref().filter(|_| matches.get_flag("all")) {
        return all_pages(connection, op, paging, values, body, matches).await;
    }
    let response = send(connection, op, &values, body.as_ref(), form.as_ref()).await?;
    match response.status() {
        200..=299 => answer(op, response, matches).await,
        status => Err(response.error((400..500).contains(&status)).await.into()),
    }
}

/// Sends one call of `op` with these parameter values and body.
async fn send(
    connection: &Connection,
    op: &'static Operation,
    values: &BTreeMap<&'static str, String>,
    body: Option<&Value>,
    form: Option<&Form>,
) -> Result<codearts_ipd_runtime::RawResponse, Failure> {
    let mut call = connection
        .client
        .transport()
        .call(method(op)?, op.id.as_str())
        .idempotent(op.idempotent)
        .config(&connection.call);
    for piece in template(&op.path) {
        call = match piece {
            Piece::Literal(literal) => call.path(literal),
            Piece::Param(name) => call.path_param(name, values.get(name)),
        };
    }
    for param in &op.params {
        let value = values.get(param.name.as_str());
        call = match param.location {
            Location::Path => call,
            Location::Query => call.query(&param.name, value, param.required),
            Location::Header => call.header(&param.name, value, param.required),
        };
    }
    if let Some(spec) = &op.body {
        call = if spec.is_json() {
            call.json(spec.content_type.as_str(), body, spec.required)
        } else {
            call.form(form.map(|f| f as _), spec.required)
        };
    }
    if let Some(content_type) = op.success.as_ref().and_then(|s| s.content_type.as_deref()) {
        call = call.accept(content_type);
    }
    Ok(call.send().await?)
}

/// `--all`: every page, through the library's paginator (its stopping
/// rules and guards), each item printed as it comes, as one JSON array:
/// only one page is ever held. A progress line goes to a terminal.
///
/// Nothing is written before the first page is in, so a call that fails
/// at once writes nothing and exits as it would without `--all` (a usage
/// error with 2). A failure after that closes the array, so stdout is
/// still valid JSON (the items so far), and exits non-zero with the error
/// on stderr.
async fn all_pages(
    connection: &Connection,
    op: &'static Operation,
    paging: &'static ipd_catalogue::Pagination,
    values: BTreeMap<&'static str, String>,
    body: Option<Value>,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    use codearts_ipd_runtime::paginate::{PageKind, Paging, pages};
    use futures_util::StreamExt;
    use std::io::Write;

    let rules = Paging {
        kind: if paging.offsets {
            PageKind::Offset
        } else {
            PageKind::Number
        },
        first: paging.first,
        min_size: paging.min_size,
        max_size: paging.max_size,
        default_size: paging.default_size,
        max_pages: paging.max_pages,
    };
    let item_schema = op
        .success
        .as_ref()
        .and_then(|s| s.schema.as_ref())
        .and_then(|schema| Catalogue::bundled().schema_at(schema, &paging.items))
        .and_then(|list| list.get("items").cloned());
    // A failure before anything was sent (a usage error) keeps its own exit
    // status: the paginator's stream carries only `ApiError`s.
    let local = std::sync::Mutex::new(None::<Failure>);
    let fetch = |position: u64, size: u64| {
        let (mut values, mut body) = (values.clone(), body.clone());
        place(op, &paging.position, position, &mut values, &mut body);
        place(op, &paging.size, size, &mut values, &mut body);
        let local = &local;
        async move {
            let response = match send(connection, op, &values, body.as_ref(), None).await {
                Ok(response) => response,
                Err(failure) => {
                    let error =
                        codearts_ipd_runtime::ApiError::InvalidRequest(failure.message.clone());
                    *local.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure);
                    return Err(error);
                }
            };
            match response.status() {
                200..=299 => response.json::<Value>().await.map(|r| r.into_inner()),
                status => Err(response.error((400..500).contains(&status)).await),
            }
        }
    };
    // The items: absent or null is an empty page; anything but a list is
    // the paginator's error.
    let items_at = items_reader(move |page| {
        let mut at = page;
        for field in &paging.items {
            at = at.get(field).unwrap_or(&Value::Null);
        }
        match at {
            Value::Null => Some(&[][..]),
            other => other.as_array().map(Vec::as_slice),
        }
    });
    let total_at = |page: &Value| {
        let mut at = page;
        for field in paging.total.iter().flatten() {
            at = at.get(field).unwrap_or(&Value::Null);
        }
        at.as_u64()
            .or_else(|| at.as_str().and_then(|s| s.parse().ok()))
    };
    let id_of = |item: &Value| {
        let id = item.get(paging.id.as_deref()?)?;
        id.as_str()
            .map(str::to_string)
            .or_else(|| id.is_number().then(|| id.to_string()))
    };
    // `--page-size`, ours or the size parameter's own flag.
    let size = matches
        .try_get_one::<u64>("page-size")
        .ok()
        .flatten()
        .copied()
        .or_else(|| match &paging.size {
            ipd_catalogue::Place::Query(name) => {
                values.get(name.as_str()).and_then(|v| v.parse().ok())
            }
            ipd_catalogue::Place::Body(_) => None,
        });
    let mut stream = std::pin::pin!(pages(rules, size, fetch, items_at, total_at, id_of));
    let progress = crate::progress_line();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = |e: std::io::Error| Failure::local(format!("cannot write the listing: {e}"));
    let (mut count, mut page_no) = (0u64, 0u64);
    let mut failed = None;
    while let Some(page) = stream.next().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let local = local.lock().unwrap_or_else(|e| e.into_inner()).take();
                failed = Some(local.unwrap_or_else(|| error.into()));
                break;
            }
        };
        if page_no == 0 {
            write!(out, "[").map_err(written)?;
        }
        page_no += 1;
        for item in items_at(&page).unwrap_or_default() {
            let item = match &item_schema {
                Some(schema) => Catalogue::bundled().normalise(schema, item),
                None => item.clone(),
            };
            let text = serde_json::to_string(&item).map_err(|e| e.to_string())?;
            let sep = if count == 0 { "\n" } else { ",\n" };
            write!(out, "{sep}{}", crate::escape_json_controls(&text)).map_err(written)?;
            count += 1;
        }
        out.flush().map_err(written)?;
        progress.set_message(format!("{count} items, {page_no} pages"));
    }
    progress.finish_and_clear();
    if page_no > 0 {
        writeln!(out, "{}]", if count == 0 { "" } else { "\n" }).map_err(written)?;
        out.flush().map_err(written)?;
    }
    match failed {
        Some(failure) if page_no > 0 => Err(Failure {
            status: failure.status,
            message: format!(
                "the listing stopped after {count} items on {page_no} pages (written as a complete JSON array): {}",
                failure.message
            ),
        }),
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// A closure reading a page's items, with the signature the paginator needs
/// (a closure's own would not tie the answer's lifetime to the page's).
fn items_reader<F: for<'p> Fn(&'p Value) -> Option<&'p [Value]>>(read: F) -> F {
    read
}

/// Sets a page position or size where the operation takes it.
fn place(
    op: &'static Operation,
    place: &ipd_catalogue::Place,
    value: u64,
    values: &mut BTreeMap<&'static str, String>,
    body: &mut Option<Value>,
) {
    match place {
        ipd_catalogue::Place::Query(name) => {
            if let Some(param) = op.params.iter().find(|p| &p.name == name) {
                values.insert(param.name.as_str(), value.to_string());
            }
        }
        ipd_catalogue::Place::Body(fields) => {
            let mut at = body.get_or_insert_with(|| Value::Object(Default::default()));
            for field in &fields[..fields.len() - 1] {
                if !at.get(field).is_some_and(Value::is_object) {
                    at[field.as_str()] = Value::Object(Default::default());
                }
                at = &mut at[field.as_str()];
            }
            at[fields[fields.len() - 1].as_str()] = Value::from(value);
        }
    }
}

async fn answer(
    op: &Operation,
    response: codearts_ipd_runtime::RawResponse,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let json = op.success.as_ref().is_some_and(|s| s.is_json());
    let binary = op
        .success
        .as_ref()
        .is_some_and(|s| s.content_type.is_some())
        && !json;
    if json {
        let body: Value = response.json::<Value>().await?.into_inner();
        // The same shape as the typed commands print for the same model.
        let body = match op.success.as_ref().and_then(|s| s.schema.as_ref()) {
            Some(schema) => Catalogue::bundled().normalise(schema, &body),
            None => body,
        };
        crate::print_json(&body)?;
        let failed = failed_items(&body);
        if failed.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = failed
            .iter()
            .map(|item| format!("  {}", crate::escape_json_controls(&item.to_string())))
            .collect();
        return Err(Failure {
            status: crate::status::PARTIAL,
            message: format!(
                "the service answered 200 but reports {} item(s) failed:\n{}",
                failed.len(),
                listed.join("\n")
            ),
        });
    }
    if !binary {
        let status = response.status();
        return crate::print_json(&serde_json::json!({ "status": status }));
    }
    let Some(output) = matches.get_one::<PathBuf>("output") else {
        return Err(Failure::usage("a binary answer needs -o"));
    };
    let force = matches.get_flag("force");
    let response = response.stream();
    let saved = if force {
        response.save_to(output, |_| {}).await?
    } else {
        response.save_new(output, |_| {}).await?
    };
    crate::print_json(&serde_json::json!({
        "path": output.display().to_string(),
        "bytes": saved,
    }))
}

/// The items a batch answer reports failed inside a success: the entries
/// of `failed` or `fail` lists of its `result` (or of
/// each item of a `result` list), as every batch operation of the service
/// reports them.
fn failed_items(body: &Value) -> Vec<&Value> {
    fn of(result: &Value) -> Vec<&Value> {
        ["failed", "fail"]
            .iter()
            .filter_map(|key| result.get(*key).and_then(Value::as_array))
            .flatten()
            .collect()
    }
    match body.get("result") {
        Some(Value::Array(items)) => items.iter().flat_map(of).collect(),
        Some(result) => of(result),
        None => Vec::new(),
    }
}

fn is_binary(op: &Operation) -> bool {
    op.success
        .as_ref()
        .is_some_and(|s| s.content_type.is_some() && !s.is_json())
}

/// Before anything is sent: a binary answer needs `-o`, to a path that
/// may be written.
fn check_output_for(op: &Operation, matches: &ArgMatches) -> Result<(), Failure> {
    if !is_binary(op) {
        return Ok(());
    }
    match matches.get_one::<PathBuf>("output") {
        Some(output) => crate::check_output(output, matches.get_flag("force")),
        None => Err(Failure::usage(format!(
            "{} answers with bytes; give the path to save them with -o",
            op.command
        ))),
    }
}

fn method(op: &Operation) -> Result<Method, Failure> {
    Method::from_bytes(op.method.as_bytes())
        .map_err(|_| Failure::from(format!("the spec's method {} is not HTTP", op.method)))
}

enum Piece {
    Literal(&'static str),
    Param(&'static str),
}

/// Splits a path template into its literal parts and parameter names.
fn template(path: &'static str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            pieces.push(Piece::Literal(&rest[..open]));
        }
        pieces.push(Piece::Param(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Literal(rest));
    }
    pieces
}

/// Parameter values by spec name: flags first, then `--param` (which wins).
fn parameter_values(
    op: &'static Operation,
    matches: &ArgMatches,
) -> Result<BTreeMap<&'static str, String>, Failure> {
    let mut values = BTreeMap::new();
    for (index, param) in op.params.iter().enumerate() {
        if let Some(flag) = flag(op, index)
            && let Some(value) = matches.get_one::<String>(&flag)
        {
            values.insert(param.name.as_str(), value.clone());
        }
    }
    for pair in matches.get_many::<String>("param").into_iter().flatten() {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            Failure::usage(format!(
                "--param takes NAME=VALUE, got `{}`",
                printable(pair)
            ))
        })?;
        let param = op.params.iter().find(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = op.params.iter().map(|p| p.name.as_str()).collect();
            Failure::usage(format!(
                "{} has no parameter `{}`; it has: {}",
                op.command,
                printable(name),
                known.join(", ")
            ))
        })?;
        values.insert(param.name.as_str(), value.to_string());
    }
    Ok(values)
}

fn read_body(op: &Operation, matches: &ArgMatches) -> Result<Option<Value>, Failure> {
    let Some(path) = matches.try_get_one::<PathBuf>("body").ok().flatten() else {
        return Ok(None);
    };
    if !op.body.as_ref().is_some_and(|b| b.is_json()) {
        return Err(Failure::usage(format!("{} takes no JSON body", op.command)));
    }
    let shown = || printable(&path.display().to_string()).into_owned();
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|e| Failure::local(format!("cannot read the body from {}: {e}", shown())))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Failure::usage(format!("the body in {} is not JSON: {e}", shown())))
}

/// The body from `--body`, with each body field flag set on it (a flag
/// wins over the same field in `--body`). Values are parsed by the field's
/// type: numbers and booleans as such, arrays and objects as JSON, the
/// rest as text.
fn with_body_flags(
    op: &Operation,
    body: Option<Value>,
    matches: &ArgMatches,
) -> Result<Option<Value>, Failure> {
    let mut given = Vec::new();
    for body_flag in body_flags(Catalogue::bundled(), op) {
        let Some(texts) = matches.get_many::<String>(&body_flag.flag) else {
            continue;
        };
        let texts: Vec<&String> = texts.collect();
        let value = match body_flag.kind.strip_prefix("array of ") {
            Some(item) => parse_array(&body_flag, item, &texts)?,
            None => parse_field(&body_flag, texts.last().map_or("", |t| t.as_str()))?,
        };
        given.push((body_flag.field.clone(), value));
    }
    if given.is_empty() {
        return Ok(body);
    }
    let mut body = body.unwrap_or_else(|| Value::Object(Default::default()));
    let Some(members) = body.as_object_mut() else {
        return Err(Failure::usage(
            "body field flags need the --body to be a JSON object",
        ));
    };
    for (field, value) in given {
        members.insert(field, value);
    }
    Ok(Some(body))
}

/// An array field's flag, given once or more: each value a JSON array
/// (its items), or bare values separated by commas, each read as the item
/// type says. Items of a string array stay strings whatever they look
/// like: `--id 1100000000000000108` sends `["1100000000000000108"]`, not a
/// number that many JSON readers would round.
fn parse_array(body_flag: &BodyFlag, item: &str, texts: &[&String]) -> Result<Value, Failure> {
    let item_flag = BodyFlag {
        kind: item.to_string(),
        ..body_flag.clone()
    };
    let mut items = Vec::new();
    for text in texts {
        if text.trim_start().starts_with('[') {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(values)) => {
                    items.extend(values.into_iter().map(|v| match (item, v) {
                        // A number given for a string keeps its digits.
                        ("string", Value::Number(n)) => Value::String(n.to_string()),
                        (_, v) => v,
                    }));
                    continue;
                }
                _ => {
                    return Err(Failure::usage(format!(
                        "--{} takes values or a JSON array, not `{}`",
                        body_flag.flag,
                        printable(text)
                    )));
                }
            }
        }
        match item {
            "string" | "integer" | "number" | "boolean" => {
                for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    items.push(parse_field(&item_flag, piece)?);
                }
            }
            // Objects and arrays of them: JSON, one item per value.
            _ => items.push(parse_field(&item_flag, text)?),
        }
    }
    Ok(Value::Array(items))
}

fn parse_field(body_flag: &BodyFlag, text: &str) -> Result<Value, Failure> {
    let bad = |what: &str| {
        Failure::usage(format!(
            "--{} takes {what}, not `{}`",
            body_flag.flag,
            printable(text)
        ))
    };
    match body_flag.kind.as_str() {
        // A listed value, as the spec spells it, matched ignoring case
        // (`bug` is `Bug`); anything else is refused with the list.
        "string" if !body_flag.choices.is_empty() => body_flag
            .choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(text.trim()))
            .map(|c| Value::String(c.clone()))
            .ok_or_else(|| bad(&format!("one of {}", body_flag.choices.join(", ")))),
        "string" => Ok(Value::String(text.to_string())),
        "integer" => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("an integer")),
        "number" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number")),
        "boolean" => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        // Arrays, objects and untyped fields: JSON; untyped text stays text.
        kind => match serde_json::from_str(text) {
            Ok(value) => Ok(value),
            Err(_) if kind == "any" => Ok(Value::String(text.to_string())),
            Err(_) => Err(bad("JSON")),
        },
    }
}

/// A multipart body given field by field on the command line.
struct Form(Vec<(String, FormValue)>);

enum FormValue {
    Text(String),
    File(FilePart),
}

impl ToMultipart for Form {
    fn to_multipart(&self) -> Multipart {
        let mut multipart = Multipart::new();
        for (name, value) in &self.0 {
            match value {
                FormValue::Text(text) => multipart.text(name, text.clone()),
                FormValue::File(file) => multipart.file(name, file),
            }
        }
        multipart
    }
}

async fn read_form(op: &Operation, matches: &ArgMatches) -> Result<Option<Form>, Failure> {
    let given: Vec<&String> = matches
        .try_get_many::<String>("form")
        .ok()
        .flatten()
        .into_iter()
        .flatten()
        .collect();
    if given.is_empty() {
        return Ok(None);
    }
    if op.body.as_ref().is_none_or(|b| b.is_json()) {
        return Err(Failure::usage(format!("{} takes no form", op.command)));
    }
    let mut fields = Vec::new();
    for pair in given {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            Failure::usage(format!(
                "--form takes NAME=VALUE or NAME=@FILE, got `{}`",
                printable(pair)
            ))
        })?;
        let value = match value.strip_prefix('@') {
            Some(path) => FormValue::File(FilePart::from_path(path).await.map_err(ApiError::from)?),
            None => FormValue::Text(value.to_string()),
        };
        fields.push((name.to_string(), value));
    }
    Ok(Some(Form(fields)))
}

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
use codearts_req::multipart::{Multipart, ToMultipart};
use codearts_req::{ApiError, FilePart, SaveToFile, printable};
use codearts_req_runtime::Method;
use ipd_catalogue::{Catalogue, Location, Operation, Param};
use serde_json::Value;

use crate::{Connection, Failure};

mod all_pages;
mod flags;

use flags::{body_flags, fields, with_body_flags};

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
        // A header goes by its own name, which the flag does not spell.
        if param.location == Location::Header {
            help = format!("{help} (header {})", param.name);
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
        return all_pages::all_pages(connection, op, paging, values, body, matches).await;
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
) -> Result<codearts_req_runtime::RawResponse, Failure> {
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

async fn answer(
    op: &Operation,
    response: codearts_req_runtime::RawResponse,
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
            .map(|item| {
                format!(
                    "  {}",
                    crate::output::escape_json_controls(&item.to_string())
                )
            })
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

//! The Rust names generated code uses for spec names, matching typify's.

use heck::{ToPascalCase, ToSnakeCase};
use quote::format_ident;

/// `name` with every character that is not a letter, digit or `_` turned
/// into a word break, as typify's `sanitize` does.
fn words(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The name typify gives a component schema (its `sanitize(_, Pascal)`).
pub fn type_name(component: &str) -> String {
    let name = words(&component.replace('\'', "")).to_pascal_case();
    match name.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => name,
        _ => format!("X{name}"),
    }
}

/// A snake-case identifier; keywords get a trailing `_`, as typify does.
pub fn snake_ident(name: &str) -> proc_macro2::Ident {
    let mut snake = words(name).to_snake_case();
    if !snake.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        snake = format!("x_{snake}");
    }
    if syn::parse_str::<syn::Ident>(&snake).is_err() {
        snake.push('_');
    }
    format_ident!("{}", snake)
}

/// The members every operation builder has besides its setters.
pub const BUILDER_MEMBERS: &[&str] = &[
    "client",
    "new",
    "send",
    "body",
    "clone",
    "fmt",
    "customize",
    "into_paginator",
];

/// The setter of a JSON body's top-level field on an operation builder:
/// the field's name, or `body_<name>` when a parameter or a member of the
/// builder has that name already. Validation refuses a spec where the
/// second name is taken too.
pub fn body_setter(field: &str, params: &[String]) -> String {
    let taken = |name: &str| BUILDER_MEMBERS.contains(&name) || params.iter().any(|p| p == name);
    if taken(field) {
        format!("body_{}", field.trim_end_matches('_'))
    } else {
        field.to_string()
    }
}

/// The command name of an operation: `ShowIpdIssueDetailV2` is
/// `show-ipd-issue-detail-v2` (the `ipd` command's subcommands).
pub fn kebab(id: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase)
                    && chars[i - 1].is_ascii_uppercase());
        if boundary {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

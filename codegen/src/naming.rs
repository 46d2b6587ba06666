//! The Rust names generated code uses for spec names, matching typify's.

use heck::{ToPascalCase, ToSnakeCase};
use quote::format_ident;

/// The name typify gives a component schema (its `sanitize(_, Pascal)`).
pub fn type_name(component: &str) -> String {
    let cleaned: String = component
        .replace('\'', "")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = cleaned.to_pascal_case();
    match name.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => name,
        _ => format!("X{name}"),
    }
}

/// A snake-case identifier; keywords get a trailing `_`, as typify does.
pub fn snake_ident(name: &str) -> proc_macro2::Ident {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut snake = cleaned.to_snake_case();
    if !snake.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        snake = format!("x_{snake}");
    }
    if syn::parse_str::<syn::Ident>(&snake).is_err() {
        snake.push('_');
    }
    format_ident!("{}", snake)
}

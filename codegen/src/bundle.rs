//! One document from several files: a root (everything but most paths and
//! components) and fragments, each holding only `paths` and `components`.
//! The bundle remembers which file each path and component came from, so
//! an error found later still names the right file.

use serde_json::{Map, Value};

use crate::document::escape_token;
use crate::error::{Error, SpecError};
use crate::load;

/// A spec file: the name errors use, and its text.
pub struct Source {
    /// How errors name the file.
    pub display: String,
    /// Its YAML (or JSON) text.
    pub text: String,
}

/// The merged document and where its parts came from.
pub struct Bundle {
    pub value: Value,
    root: String,
    /// JSON pointer prefixes of merged parts, with their file.
    origins: Vec<(String, String)>,
}

impl Bundle {
    /// The file that holds what `pointer` names.
    pub fn file_of(&self, pointer: &str) -> &str {
        self.origins
            .iter()
            .find(|(prefix, _)| pointer == prefix || pointer.starts_with(&format!("{prefix}/")))
            .map_or(&self.root, |(_, file)| file)
    }
}

const FRAGMENT_KEYS: &[&str] = &["paths", "components"];

/// Parses `root` and `fragments` and merges the fragments' paths and
/// components into the root; a path or component defined twice is an error
/// naming both files.
pub fn bundle(root: &Source, fragments: &[Source]) -> Result<Bundle, Error> {
    let parse = |source: &Source| {
        load::parse(&source.text).map_err(|error| Error::Spec {
            file: source.display.clone(),
            error,
        })
    };
    let mut value = parse(root)?;
    let mut origins: Vec<(String, String)> = Vec::new();
    for fragment in fragments {
        let at = |pointer: String, message: String| Error::Spec {
            file: fragment.display.clone(),
            error: SpecError::at(pointer, message),
        };
        let Value::Object(parts) = parse(fragment)? else {
            return Err(at(
                String::new(),
                "a fragment must be a mapping with `paths` and `components`".into(),
            ));
        };
        let Some(root_map) = value.as_object_mut() else {
            // The root's own shape is checked by validation.
            break;
        };
        for (key, part) in parts {
            if !FRAGMENT_KEYS.contains(&key.as_str()) {
                return Err(at(
                    format!("/{}", escape_token(&key)),
                    format!("a fragment holds only `paths` and `components`, not `{key}`"),
                ));
            }
            let Value::Object(part) = part else {
                return Err(at(format!("/{key}"), format!("`{key}` must be a mapping")));
            };
            // `paths` merges path by path; `components` section by section,
            // then name by name.
            let groups: Vec<(String, Map<String, Value>)> = if key == "paths" {
                vec![("/paths".to_string(), part)]
            } else {
                let mut groups = Vec::new();
                for (section, names) in part {
                    let Value::Object(names) = names else {
                        return Err(at(
                            format!("/components/{}", escape_token(&section)),
                            "must be a mapping".into(),
                        ));
                    };
                    groups.push((format!("/components/{}", escape_token(&section)), names));
                }
                groups
            };
            for (group, entries) in groups {
                let target = ensure_object(root_map, &group);
                for (name, entry) in entries {
                    let pointer = format!("{group}/{}", escape_token(&name));
                    if target.contains_key(&name) {
                        let first = origins
                            .iter()
                            .find(|(p, _)| *p == pointer)
                            .map_or(root.display.as_str(), |(_, f)| f.as_str());
                        return Err(at(
                            pointer.clone(),
                            format!("`{name}` is already defined in {first}"),
                        ));
                    }
                    target.insert(name, entry);
                    origins.push((pointer, fragment.display.clone()));
                }
            }
        }
    }
    Ok(Bundle {
        value,
        root: root.display.clone(),
        origins,
    })
}

/// The mapping at `/a/b` of `root`, created if missing.
fn ensure_object<'a>(
    root: &'a mut Map<String, Value>,
    pointer: &str,
) -> &'a mut Map<String, Value> {
    let mut map = root;
    for token in pointer.trim_start_matches('/').split('/') {
        let token = token.replace("~1", "/").replace("~0", "~");
        let entry = map
            .entry(token)
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        map = entry.as_object_mut().expect("made an object above");
    }
    map
}

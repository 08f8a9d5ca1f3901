//! `--set path=value` overrides: change any scenario field from the command line.
//!
//! A path is dot-separated field names; inside a list, an element is named by its `id`
//! (`corridors.HK-SZ-1.speed_limit_mps`) or by its 0-based index (`demand.flows.0.mix`).
//! The value is JSON where it parses as JSON (numbers, `true`, `"text"`, `{"a": 1}`),
//! otherwise a bare word (enum variants such as `OneWay`) or RON (`(lat: 22.3, lon: 114.1)`).

use serde_json::Value;

use super::{Scenario, ScenarioError};

/// One parsed `path=value` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dot-separated path.
    pub path: String,
    /// Raw value text.
    pub value: String,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (path, value) = s
            .split_once('=')
            .ok_or_else(|| format!("expected path=value, got `{s}`"))?;
        if path.trim().is_empty() {
            return Err(format!("empty path in `{s}`"));
        }
        Ok(Override {
            path: path.trim().to_string(),
            value: value.trim().to_string(),
        })
    }
}

fn parse_value(raw: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        return v;
    }
    if let Ok(v) = ron::from_str::<ron::Value>(raw)
        && let Ok(v) = serde_json::to_value(&v)
    {
        // ron's unit/struct-less words come back as Unit; keep them as strings.
        if !v.is_null() {
            return v;
        }
    }
    Value::String(raw.to_string())
}

/// Top-level sections a scenario file leaves out when they hold only defaults (and that
/// are not written back then): an override may still set a field in them.
const OMITTED_SECTIONS: [&str; 3] = ["uncertainty", "limits", "comms"];

/// Sections inside a scenario's items left out when they hold only defaults (a drone
/// type's `navigation`).
const OMITTED_ITEM_SECTIONS: [&str; 1] = ["navigation"];

/// Applies overrides in order; errors name the override and what it hit.
pub fn apply_overrides(
    scenario: &Scenario,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    if overrides.is_empty() {
        return Ok(scenario.clone());
    }
    let mut root = serde_json::to_value(scenario).map_err(|e| ScenarioError::Override {
        key: String::new(),
        message: e.to_string(),
    })?;
    for o in overrides {
        let err = |message: String| ScenarioError::Override {
            key: o.path.clone(),
            message,
        };
        let mut here = &mut root;
        let mut walked = Vec::new();
        let parts: Vec<&str> = o.path.split('.').collect();
        for (k, part) in parts.iter().enumerate() {
            let last = k + 1 == parts.len();
            here = match here {
                Value::Object(map) => {
                    if !map.contains_key(*part) {
                        if last {
                            // Optional fields left out of the file are absent here: allowed
                            // when the final deserialisation accepts the name.
                            map.insert(part.to_string(), Value::Null);
                        } else if OMITTED_SECTIONS.contains(walked.first().unwrap_or(part))
                            || OMITTED_ITEM_SECTIONS.contains(part)
                        {
                            // A section left out when it is all defaults (or a part of
                            // one): start it empty, the defaults fill it.
                            map.insert(part.to_string(), Value::Object(Default::default()));
                        } else {
                            let known: Vec<&String> = map.keys().collect();
                            return Err(err(format!(
                                "no field `{part}` at `{}` (fields: {})",
                                walked.join("."),
                                known
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )));
                        }
                    }
                    map.get_mut(*part).expect("inserted above")
                }
                Value::Array(items) => {
                    let by_id = items
                        .iter()
                        .position(|it| it.get("id").and_then(Value::as_str) == Some(part));
                    let index =
                        by_id.or_else(|| part.parse::<usize>().ok().filter(|i| *i < items.len()));
                    match index {
                        Some(i) => &mut items[i],
                        None => {
                            return Err(err(format!(
                                "no element with id or index `{part}` in `{}`",
                                walked.join(".")
                            )));
                        }
                    }
                }
                // An optional section not given (`forecast: None`): start it empty.
                Value::Null if !walked.is_empty() => {
                    *here = Value::Object(Default::default());
                    let Value::Object(map) = here else {
                        unreachable!("set above")
                    };
                    map.entry(part.to_string()).or_insert(Value::Null)
                }
                _ => {
                    return Err(err(format!(
                        "`{}` is a value, not a section",
                        walked.join(".")
                    )));
                }
            };
            walked.push(*part);
        }
        *here = parse_value(&o.value);
    }
    serde_json::from_value::<Scenario>(root).map_err(|e| ScenarioError::Override {
        key: overrides
            .iter()
            .map(|o| format!("{}={}", o.path, o.value))
            .collect::<Vec<_>>()
            .join(" "),
        message: e.to_string(),
    })
}

//! Checks a JSON document against the subset of JSON Schema (2020-12) that the published
//! instrument schema uses: type, properties, required, additionalProperties, items, enum,
//! minimum, anyOf and local `$ref`s. A keyword outside that subset fails the check, so the subset
//! cannot silently fall behind the schema.

use serde_json::Value;

pub fn check(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    walk(schema, schema, doc, "", &mut errors);
    errors
}

fn type_matches(name: &str, doc: &Value) -> bool {
    match name {
        "object" => doc.is_object(),
        "array" => doc.is_array(),
        "string" => doc.is_string(),
        "integer" => doc.as_i64().is_some() || doc.as_u64().is_some(),
        "number" => doc.is_number(),
        "boolean" => doc.is_boolean(),
        "null" => doc.is_null(),
        _ => false,
    }
}

fn walk(root: &Value, schema: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed"));
        }
        return;
    };
    for (key, rule) in map {
        match key.as_str() {
            "$schema" | "title" | "description" | "format" | "$defs" => {}
            "$ref" => {
                let name = rule
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .unwrap_or_default();
                match root["$defs"].get(name) {
                    Some(target) => walk(root, target, doc, at, errors),
                    None => errors.push(format!("{at}: unresolved $ref {rule}")),
                }
            }
            "type" => {
                let ok = match rule {
                    Value::String(t) => type_matches(t, doc),
                    Value::Array(ts) => ts
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|t| type_matches(t, doc)),
                    _ => false,
                };
                if !ok {
                    errors.push(format!("{at}: expected type {rule}, found {doc}"));
                }
            }
            "enum" => {
                if !rule.as_array().is_some_and(|values| values.contains(doc)) {
                    errors.push(format!("{at}: {doc} is not one of {rule}"));
                }
            }
            "minimum" => {
                if let (Some(min), Some(n)) = (rule.as_f64(), doc.as_f64())
                    && n < min
                {
                    errors.push(format!("{at}: {n} is below {min}"));
                }
            }
            "required" => {
                for name in rule
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if doc.is_object() && doc.get(name).is_none() {
                        errors.push(format!("{at}: missing `{name}`"));
                    }
                }
            }
            "properties" => {
                if let (Some(props), Some(obj)) = (rule.as_object(), doc.as_object()) {
                    for (name, value) in obj {
                        if let Some(sub) = props.get(name) {
                            walk(root, sub, value, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(obj) = doc.as_object() {
                    let known = map.get("properties").and_then(Value::as_object);
                    for (name, value) in obj {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        walk(root, rule, value, &format!("{at}/{name}"), errors);
                    }
                }
            }
            "anyOf" => {
                let fits = rule.as_array().into_iter().flatten().any(|branch| {
                    let mut branch_errors = Vec::new();
                    walk(root, branch, doc, at, &mut branch_errors);
                    branch_errors.is_empty()
                });
                if !fits {
                    errors.push(format!("{at}: {doc} fits none of {rule}"));
                }
            }
            "items" => {
                for (i, item) in doc.as_array().into_iter().flatten().enumerate() {
                    walk(root, rule, item, &format!("{at}/{i}"), errors);
                }
            }
            other => errors.push(format!(
                "{at}: the checker does not know the keyword `{other}`"
            )),
        }
    }
}

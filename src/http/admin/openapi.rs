//! GET /admin/api/openapi.json: the OpenAPI 3.1 description of the administration API, for department
//! developers' tools. Every route under /admin/api is described here (a test checks it).

use crate::http::state::AppState;
use crate::paths;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

fn error_responses() -> Value {
    json!({
        "400": { "description": "Malformed request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
        "401": { "description": "Missing, unknown or expired API token" },
        "403": { "description": "The token's holder lacks the role" },
        "404": { "description": "No such resource within the holder's departments" },
        "422": { "description": "A field, or rows of an import, failed validation", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
    })
}

fn op(summary: &str, tag: &str, body: Option<Value>, ok: (&str, &str)) -> Value {
    let mut operation = json!({ "summary": summary, "tags": [tag], "responses": error_responses() });
    operation["responses"][ok.0] = json!({ "description": ok.1, "content": { "application/json": {} } });
    if let Some(schema) = body {
        operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    operation
}

fn id_param() -> Value {
    json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }])
}

/// The document, with the issuer as its server.
pub fn document(issuer: &str) -> Value {
    let string = json!({ "type": "string" });
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": { "title": "yimen administration API", "version": "1", "description": "Authenticate with an administrator's API token (`yimen role token`) as a Bearer token. Platform administrators reach everything; department administrators their own departments." },
        "servers": [{ "url": issuer }],
        "security": [{ "bearer": [] }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error", "message"], "properties": { "error": string, "message": string, "rows": { "type": "array", "items": { "type": "object", "properties": { "line": { "type": "integer" }, "field": string, "reason": string } } } } }
            }
        },
        "paths": {}
    });
    let paths = &mut doc["paths"];
    paths[paths::ADMIN_API_ORGANISATIONS] = json!({
        "get": op("List organisations", "organisations", None, ("200", "The organisations")),
        "post": op("Create an organisation with its legal representative", "organisations", Some(json!({ "type": "object", "required": ["uscc", "name", "representative_id_number"], "properties": { "uscc": string, "name": string, "kind": string, "representative_id_number": string } })), ("201", "Created")),
    });
    paths[paths::ADMIN_API_HALLS] = json!({
        "get": op("List service halls", "halls", None, ("200", "The halls")),
        "post": op("Add a service hall", "halls", Some(json!({ "type": "object", "required": ["name", "kind"], "properties": { "name": string, "kind": { "enum": ["city", "district", "town", "village"] }, "parent_id": string } })), ("201", "Created")),
    });
    paths[paths::ADMIN_API_ROLES] = json!({
        "post": op("Grant a role", "roles", Some(json!({ "type": "object", "required": ["account", "role"], "properties": { "account": string, "role": { "enum": ["platform_admin", "department_admin", "auditor", "hall_staff", "hall_supervisor"] }, "scope": string } })), ("201", "Granted")),
    });
    paths[paths::ADMIN_API_CATALOG_DEPARTMENTS] = json!({
        "get": op("List the departments within reach", "catalog", None, ("200", "The departments")),
        "post": op("Add a department (platform administrators)", "catalog", Some(json!({ "type": "object", "required": ["name"], "properties": { "name": string, "level": { "enum": ["city", "district", "town"] }, "parent_id": string, "contact_name": string, "contact_phone": string } })), ("201", "Created")),
    });
    paths[paths::ADMIN_API_CATALOG_SYSTEMS] = json!({
        "parameters": id_param(),
        "get": op("List a department's business systems and their clients", "catalog", None, ("200", "The systems")),
        "post": op("Add a business system", "catalog", Some(json!({ "type": "object", "required": ["name"], "properties": { "name": string, "vertical": { "enum": ["local", "provincial", "national"] }, "portal": { "enum": ["none", "enterprise", "citizen"] }, "contact_name": string, "contact_phone": string } })), ("201", "Created")),
    });
    paths[paths::ADMIN_API_CATALOG_CLIENTS] = json!({
        "parameters": id_param(),
        "post": op("Register a system's OIDC client (the secret is returned once) or CAS service", "catalog", Some(json!({ "type": "object", "properties": { "name": string, "protocol": { "type": "string", "enum": ["oidc", "cas"], "default": "oidc" }, "redirect_uris": { "type": "array", "items": string }, "post_logout_redirect_uris": { "type": "array", "items": string }, "public": { "type": "boolean" }, "services": { "type": "array", "items": string, "description": "CAS service URLs: exact, or a prefix ending in '/*'" } } })), ("201", "The client id, secret and integration settings")),
    });
    paths[paths::ADMIN_API_SANDBOX_CLIENTS] = json!({
        "post": op("In a sandbox: register a developer's client at once (how production linked to it issues sandbox credentials)", "sandbox", Some(json!({ "type": "object", "properties": { "name": string, "protocol": { "type": "string", "enum": ["oidc", "cas"] }, "redirect_uris": { "type": "array", "items": string }, "post_logout_redirect_uris": { "type": "array", "items": string } } })), ("201", "The client id and secret")),
    });
    paths[paths::ADMIN_API_SANDBOX_CLIENT] = json!({
        "parameters": id_param(),
        "get": op("In a sandbox: when the client first completed a sign-in", "sandbox", None, ("200", "The client id and first_login (unix seconds or null)")),
    });
    let mut items_post = op(
        "Import items, all or nothing; re-import updates by code",
        "catalog",
        None,
        ("200", "How many items were created and updated"),
    );
    items_post["requestBody"] = json!({ "required": true, "content": {
        "text/csv": { "schema": string },
        "application/json": { "schema": { "type": "array", "items": { "type": "object", "required": ["code", "name", "type", "audience"], "properties": { "code": string, "name": string, "type": { "enum": ["licence", "public_service"] }, "audience": { "enum": ["person", "legal", "both"] }, "themes": { "type": "array", "items": string }, "system": string, "status": { "enum": ["active", "withdrawn"] } } } } }
    } });
    paths[paths::ADMIN_API_CATALOG_ITEMS] = json!({
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": string }, { "name": "limit", "in": "query", "schema": { "type": "integer" } }, { "name": "offset", "in": "query", "schema": { "type": "integer" } }],
        "get": op("List a department's service items", "catalog", None, ("200", "A page of items and the total")),
        "post": items_post,
    });
    let filters: Vec<Value> = ["by", "department", "level", "kind", "audience", "theme", "vertical"]
        .iter()
        .map(|name| json!({ "name": name, "in": "query", "schema": string }))
        .collect();
    paths[paths::ADMIN_API_CONNECTION_RATE] = json!({
        "parameters": filters,
        "get": op("The connection rate against the target, with a breakdown and the usage indicators", "reports", None, ("200", "The report")),
    });
    paths[paths::ADMIN_API_OPENAPI] = json!({ "get": { "summary": "This document", "security": [], "responses": { "200": { "description": "OpenAPI 3.1" } } } });
    doc
}

pub async fn get_openapi(State(state): State<AppState>) -> Json<Value> {
    Json(document(state.provider.issuer()))
}

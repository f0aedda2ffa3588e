//! The tidy tables of an analysis plan over a form's records on the server, in one pass
//! over them a page at a time: the CSV `dala aggregate --output` writes for the same records.
//! `GET` uses the form's own plan (every select and number, `by` and `weight` as the CLI
//! takes them); `POST` a plan sent as TOML. Memory is the plan's accumulators, whatever the
//! number of records.

use crate::api::{AppState, may};
use crate::export::{Filter, Naming, Selection, instrument_of};
use crate::problem::ApiError;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dala_aggregate::aggregation::Aggregation;
use dala_aggregate::plan::{Plan, PlanError};
use dala_aggregate::report::default_plan;
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TablesQuery {
    /// The instrument version whose questions the plan names (default: the one published
    /// last).
    version: Option<String>,
    /// The form's own plan, every table disaggregated by this select_one question.
    by: Option<String>,
    /// The form's own plan, weighted by this numeric question.
    weight: Option<String>,
    review_state: Option<String>,
    received_from: Option<String>,
    received_to: Option<String>,
    device: Option<String>,
    after: Option<i64>,
}

/// S025: a plan that cannot be used, with the plan's own problem (P00x) as the detail.
fn bad_plan(e: &PlanError) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "S025",
        "the analysis plan cannot be used",
    );
    error.details = vec![serde_json::json!({
        "code": e.code(),
        "message": dala_words::plan_error(e),
    })];
    error
}

/// `GET /projects/{project}/tables/{form}`: the form's own plan.
pub(crate) async fn own_plan_tables(
    State(state): State<AppState>,
    Path((project, form)): Path<(i64, String)>,
    Query(query): Query<TablesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    tables(state, project, form, query, headers, None).await
}

/// `POST /projects/{project}/tables/{form}`: the plan in the body (TOML).
pub(crate) async fn sent_plan_tables(
    State(state): State<AppState>,
    Path((project, form)): Path<(i64, String)>,
    Query(query): Query<TablesQuery>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, ApiError> {
    if query.by.is_some() || query.weight.is_some() {
        return Err(ApiError::bad_request(
            "by and weight shape the form's own plan: a plan sent says them itself",
        ));
    }
    tables(state, project, form, query, headers, Some(body)).await
}

async fn tables(
    state: AppState,
    project: i64,
    form: String,
    query: TablesQuery,
    headers: HeaderMap,
    sent: Option<String>,
) -> Result<Response, ApiError> {
    may(
        &state.db,
        &headers,
        project,
        crate::access::Action::ReadSubmissions,
    )
    .await?;
    let filter = Filter::new(
        query.review_state.as_deref(),
        &query.received_from,
        &query.received_to,
        &query.device,
    )?;
    let (instrument, document) =
        instrument_of(&state.db, project, &form, query.version.as_deref()).await?;
    let plan: Plan = match &sent {
        Some(text) => dala_aggregate::plan::parse(text).map_err(|e| bad_plan(&e))?,
        None => default_plan(&instrument, query.by.as_deref(), query.weight.as_deref()),
    };
    let mut aggregation = Aggregation::new(&plan, &instrument).map_err(|e| bad_plan(&e))?;
    let selection = Selection::new(&state.db, project, &form, filter, query.after).await?;
    let asked = format!("{query:?}\n{}", sent.as_deref().unwrap_or_default());
    let naming = Naming::of(&document, &asked, &selection);
    if let Some(unchanged) = naming.unchanged(&headers) {
        return Ok(unchanged);
    }
    // The records are read and counted on a blocking thread: a million of them is seconds
    // of work that must not hold up the server's other requests.
    let handle = tokio::runtime::Handle::current();
    let csv = tokio::task::spawn_blocking(move || {
        selection.each_record(&handle, |record, _| {
            aggregation.add_submission(record);
            Ok(())
        })?;
        let mut out = Vec::new();
        dala_aggregate::tidy::write_csv(&aggregation.finish(), &mut out)
            .map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(out)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "S031", e.to_string()))?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    naming.mark(&mut response);
    Ok(response)
}

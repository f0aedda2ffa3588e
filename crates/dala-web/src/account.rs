//! Signing in to the Dala server the app is served from, and reading its answers: who is
//! signed in (with the CSRF token a write made with the session cookie needs), what the
//! server lists (projects, members, devices, progress, instruments, records, the audit log),
//! and what went wrong, as data. The requests themselves are the browser's
//! (`browser::call_api`); everything here is plain Rust, tested natively.

use crate::sync::Answer;
use dala_core::record::Submission;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The API's root on the app's own origin.
pub const API: &str = "/api/v1";

/// A signed-in person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub site_admin: bool,
    /// Sent with every write (the cookie alone does not allow one).
    pub csrf: String,
}

/// Why a request to the server gave nothing usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerProblem {
    /// No answer: no network, or no server behind the app (a static copy of it).
    Unreachable(String),
    /// Not signed in, or the session ended.
    SignedOut,
    /// Signed in, but the role does not allow it.
    NotAllowed,
    /// Any other refusal, with the server's code and its words.
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

impl From<crate::sync::Stopped> for ServerProblem {
    /// A fetch through the tablet's code (forms, their files) stopped, as a signed-in user's
    /// problem: the session stands for the token.
    fn from(stopped: crate::sync::Stopped) -> ServerProblem {
        match stopped {
            crate::sync::Stopped::Unreachable(why) => ServerProblem::Unreachable(why),
            crate::sync::Stopped::Revoked => ServerProblem::SignedOut,
            crate::sync::Stopped::Refused { status, code } => ServerProblem::Refused {
                status,
                code,
                message: String::new(),
            },
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The problem an answer other than a success stands for.
pub fn problem_of(answer: &Answer) -> ServerProblem {
    match answer.status {
        401 => ServerProblem::SignedOut,
        403 => ServerProblem::NotAllowed,
        status => {
            let body: Option<ErrorBody> = serde_json::from_str(&answer.body).ok();
            let (code, message) = body.map_or_else(
                || (String::new(), answer.body.chars().take(200).collect()),
                |b| (b.code, b.message),
            );
            ServerProblem::Refused {
                status,
                code,
                message,
            }
        }
    }
}

/// A successful answer's JSON as `T`; anything else as its problem.
pub fn json_of<T: DeserializeOwned>(answer: Result<Answer, String>) -> Result<T, ServerProblem> {
    let answer = answer.map_err(ServerProblem::Unreachable)?;
    if !(200..300).contains(&answer.status) {
        return Err(problem_of(&answer));
    }
    serde_json::from_str(&answer.body).map_err(|e| {
        // A page that is not the API's (a static server's index.html) reads as no server.
        ServerProblem::Unreachable(format!("not an answer of a Dala server: {e}"))
    })
}

/// A success with no body wanted (204, or a body not read).
pub fn done(answer: Result<Answer, String>) -> Result<(), ServerProblem> {
    let answer = answer.map_err(ServerProblem::Unreachable)?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(problem_of(&answer))
    }
}

#[derive(Deserialize)]
struct Current {
    user: Option<String>,
    #[serde(default)]
    site_admin: bool,
    csrf: Option<String>,
}

/// The session `GET /sessions/current` names: None when nobody is signed in in this browser
/// (or the cookie names a device, which never signs in here).
pub fn session_of(answer: Result<Answer, String>) -> Result<Option<Session>, ServerProblem> {
    match json_of::<Current>(answer) {
        Ok(Current {
            user: Some(user),
            site_admin,
            csrf: Some(csrf),
        }) => Ok(Some(Session {
            user,
            site_admin,
            csrf,
        })),
        Ok(_) | Err(ServerProblem::SignedOut) => Ok(None),
        Err(problem) => Err(problem),
    }
}

#[derive(Deserialize)]
struct SignedIn {
    csrf: String,
}

/// The sign-in's body (the token goes into an HttpOnly cookie, never to the page).
pub fn sign_in_body(name: &str, password: &str) -> String {
    serde_json::json!({"name": name, "password": password, "cookie": true}).to_string()
}

/// The session a sign-in's answer opens (the name is the one signed in with; whether it is
/// a site administrator's comes from `GET /sessions/current`, asked next).
pub fn signed_in(answer: Result<Answer, String>, name: &str) -> Result<Session, ServerProblem> {
    let SignedIn { csrf } = json_of(answer)?;
    Ok(Session {
        user: name.to_string(),
        site_admin: false,
        csrf,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
}

#[derive(Deserialize)]
pub struct Projects {
    pub projects: Vec<Project>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Member {
    pub user: String,
    pub role: String,
}

#[derive(Deserialize)]
pub struct Members {
    pub members: Vec<Member>,
}

/// The roles a user can hold in a project, as the server names them.
pub const ROLES: [&str; 4] = ["manager", "designer", "analyst", "enumerator"];

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Device {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub revoked: Option<String>,
    pub last_seen: Option<String>,
    pub records: i64,
    pub last_record: Option<String>,
}

#[derive(Deserialize)]
pub struct Devices {
    pub devices: Vec<Device>,
}

/// A device just enrolled: the link (and its QR code) the tablet opens once.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Enrolled {
    pub name: String,
    pub link: String,
    pub qr_svg: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProgressRow {
    pub day: String,
    pub sender: String,
    pub value: Option<String>,
    pub records: i64,
}

#[derive(Deserialize)]
pub struct Progress {
    pub progress: Vec<ProgressRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PublishedVersion {
    pub form_id: String,
    pub version: String,
    pub published: String,
}

#[derive(Deserialize)]
pub struct Instruments {
    pub instruments: Vec<PublishedVersion>,
}

/// A record as the server lists it: a deleted one comes once more, without its record.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Listed {
    pub changed: i64,
    pub deleted: Option<String>,
    pub form_id: String,
    pub instance_id: String,
    pub received: String,
    pub review_state: String,
    pub record: Option<Submission>,
}

#[derive(Deserialize)]
pub struct Listing {
    pub submissions: Vec<Listed>,
    pub next: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
}

#[derive(Deserialize)]
pub struct Audit {
    pub audit: Vec<AuditEntry>,
}

/// The review states a record can be given, as the server names them.
pub const REVIEW_STATES: [&str; 4] = ["received", "has_issues", "approved", "rejected"];

/// A review's body.
pub fn review_body(state: &str, comment: &str) -> String {
    let comment = comment.trim();
    serde_json::json!({
        "state": state,
        "comment": (!comment.is_empty()).then_some(comment),
    })
    .to_string()
}

/// A text as one segment of a URL's path (form ids, versions, instance ids).
pub use crate::sync::path_segment as segment;

/// Where a project's things are: `project_url(3, "devices")` is `/api/v1/projects/3/devices`.
pub fn project_url(project: i64, rest: &str) -> String {
    format!("{API}/projects/{project}/{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Result<Answer, String> {
        Ok(Answer {
            status,
            body: body.to_string(),
        })
    }

    #[test]
    fn the_current_session_is_a_person_or_nobody() {
        assert_eq!(
            session_of(answer(
                200,
                r#"{"user":"aida","site_admin":true,"csrf":"c1"}"#
            )),
            Ok(Some(Session {
                user: "aida".into(),
                site_admin: true,
                csrf: "c1".into()
            }))
        );
        assert_eq!(
            session_of(answer(401, r#"{"code":"S001","message":"sign in first"}"#)),
            Ok(None)
        );
        // A device's cookie never stands for a person here.
        assert_eq!(
            session_of(answer(200, r#"{"device":3,"name":"t","project":1}"#)),
            Ok(None)
        );
        assert!(matches!(
            session_of(Err("offline".into())),
            Err(ServerProblem::Unreachable(_))
        ));
        // A static copy of the app answers the API's address with its page.
        assert!(matches!(
            session_of(answer(200, "<!doctype html>")),
            Err(ServerProblem::Unreachable(_))
        ));
    }

    #[test]
    fn a_refusal_keeps_the_servers_code_and_words() {
        assert_eq!(
            json_of::<Projects>(answer(
                422,
                r#"{"code":"S022","message":"the review state must be one of ..."}"#
            ))
            .err(),
            Some(ServerProblem::Refused {
                status: 422,
                code: "S022".into(),
                message: "the review state must be one of ...".into()
            })
        );
        assert_eq!(
            done(answer(403, "{}")),
            Err(ServerProblem::NotAllowed),
            "a role that does not allow it"
        );
        assert_eq!(done(answer(204, "")), Ok(()));
    }

    #[test]
    fn a_review_leaves_out_an_empty_comment() {
        assert_eq!(
            review_body("approved", "  "),
            r#"{"comment":null,"state":"approved"}"#
        );
        assert_eq!(
            review_body("has_issues", " the district? "),
            r#"{"comment":"the district?","state":"has_issues"}"#
        );
    }

    #[test]
    fn ids_go_into_a_path_escaped() {
        assert_eq!(segment("uuid:1 2/3"), "uuid%3A1%202%2F3");
        assert_eq!(
            project_url(3, "submissions/uuid%3A1/review"),
            "/api/v1/projects/3/submissions/uuid%3A1/review"
        );
    }
}

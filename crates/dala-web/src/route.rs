//! Screens by URL fragment, so a reload comes back to the same screen (and a draft to the page
//! stored with it): `#/`, `#/new/<form id>/<version>` (an interview not stored until its
//! first answer), `#/interview/<instance id>`, `#/records/<form id>`, `#/design`,
//! `#/design/<form id>`, `#/analyse[/<form id>]`, `#/analyse/<form id>/record/<instance id>`
//! and `#/manage[/<project id>]`.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    /// A new interview of (form id, version): nothing is stored until the first answer.
    New(String, String),
    Interview(String),
    Records(String),
    /// The designer's list of instruments.
    Designs,
    /// The editor of one instrument.
    Design(String),
    /// The analyst's workspace, on one instrument (empty: the first on the device).
    Analyse(String),
    /// A record opened from the analyst's data view, shown inside the workspace (which keeps
    /// its filters and tables underneath): (form id, instance id).
    AnalyseRecord(String, String),
    /// The Manage workspace on one project of the server (0: the first the person sees).
    Manage(i64),
}

impl Route {
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let (screen, rest) = path.split_once('/').unwrap_or((path, ""));
        let arg = decode(rest);
        match screen {
            "interview" if !arg.is_empty() => Route::Interview(arg),
            "new" => match rest.split_once('/') {
                Some((form, version)) if !form.is_empty() && !version.is_empty() => {
                    Route::New(decode(form), decode(version))
                }
                _ => Route::Home,
            },
            "records" if !arg.is_empty() => Route::Records(arg),
            "design" if !arg.is_empty() => Route::Design(arg),
            "design" => Route::Designs,
            "analyse" => match rest.split_once("/record/") {
                Some((form, id)) if !form.is_empty() && !id.is_empty() => {
                    Route::AnalyseRecord(decode(form), decode(id))
                }
                _ => Route::Analyse(arg),
            },
            "manage" => Route::Manage(rest.parse().unwrap_or(0)),
            _ => Route::Home,
        }
    }

    pub fn hash(&self) -> String {
        match self {
            Route::Home => "#/".into(),
            Route::New(form, version) => format!("#/new/{}/{}", encode(form), encode(version)),
            Route::Interview(id) => format!("#/interview/{}", encode(id)),
            Route::Records(form) => format!("#/records/{}", encode(form)),
            Route::Designs => "#/design".into(),
            Route::Design(form) => format!("#/design/{}", encode(form)),
            Route::Analyse(form) if form.is_empty() => "#/analyse".into(),
            Route::Analyse(form) => format!("#/analyse/{}", encode(form)),
            Route::AnalyseRecord(form, id) => {
                format!("#/analyse/{}/record/{}", encode(form), encode(id))
            }
            Route::Manage(0) => "#/manage".into(),
            Route::Manage(project) => format!("#/manage/{project}"),
        }
    }
}

/// Percent-encodes what is not unreserved in a URL (instance ids hold `:`).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip_through_the_fragment() {
        for route in [
            Route::Home,
            Route::Interview("uuid:5b3c-11 é".into()),
            Route::New("fast_family_outcomes".into(), "2015/02 01".into()),
            Route::Records("police_gender_representation".into()),
            Route::Designs,
            Route::Design("fast_family_outcomes".into()),
            Route::Analyse(String::new()),
            Route::Analyse("police_gender_representation".into()),
            Route::AnalyseRecord("police_gender_representation".into(), "uuid:5b/3c".into()),
            Route::Manage(0),
            Route::Manage(12),
        ] {
            assert_eq!(Route::parse(&route.hash()), route);
        }
        assert_eq!(
            Route::Interview("uuid:ab".into()).hash(),
            "#/interview/uuid%3Aab"
        );
        assert_eq!(Route::parse("#/design/"), Route::Designs);
        assert_eq!(Route::parse("#/analyse/"), Route::Analyse(String::new()));
        assert_eq!(Route::parse("#/manage/x"), Route::Manage(0));
    }

    #[test]
    fn anything_else_is_home() {
        for hash in [
            "",
            "#",
            "#/",
            "#/interview/",
            "#/nowhere/x",
            "#/new/only_a_form",
            "#/interview/%zz",
        ] {
            let route = Route::parse(hash);
            assert!(
                route == Route::Home || hash.ends_with("%zz"),
                "{hash} -> {route:?}"
            );
        }
        assert_eq!(
            Route::parse("#/interview/%zz"),
            Route::Interview("%zz".into())
        );
    }
}
